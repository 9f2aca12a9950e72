import { BILLING_SITE_PATHS } from '@rotki-premium/protocol/billing-api';
import { SITE_PATHS, WEB_API_PATHS } from '@rotki-premium/protocol/web-api';
import { createRouter, createWebHistory, type RouteLocationNormalized } from 'vue-router';
import { useSessionStore } from '../auth/use-session-store.ts';
import { setSessionEndedHandler } from './use-web-api.ts';

declare module 'vue-router' {
  interface RouteMeta {
    /** Only for a logged-in subscriber: others go to the login page. */
    requiresAuth?: boolean;
    /** Only for visitors: a logged-in subscriber goes to the subscription page. */
    guestOnly?: boolean;
    title: string;
  }
}

export const router = createRouter({
  history: createWebHistory(),
  // As the server: `/Pricing` and `/pricing/` are not `/pricing` (the server redirects the trailing slash).
  strict: true,
  sensitive: true,
  routes: [
    {
      path: SITE_PATHS.home,
      component: () => import('../landing/LandingPage.vue'),
      meta: { guestOnly: true, title: 'rotki premium' },
    },
    { path: SITE_PATHS.account, redirect: SITE_PATHS.subscription, meta: { title: 'rotki premium' } },
    {
      path: SITE_PATHS.login,
      component: () => import('../auth/LoginPage.vue'),
      meta: { guestOnly: true, title: 'Log in' },
    },
    {
      path: SITE_PATHS.signup,
      component: () => import('../auth/SignupPage.vue'),
      meta: { guestOnly: true, title: 'Sign up' },
    },
    { path: SITE_PATHS.pricing, component: () => import('../pricing/PricingPage.vue'), meta: { title: 'Pricing' } },
    {
      path: SITE_PATHS.subscription,
      component: () => import('../subscription/SubscriptionPage.vue'),
      meta: { requiresAuth: true, title: 'Subscription' },
    },
    {
      path: SITE_PATHS.devices,
      component: () => import('../devices/DevicesPage.vue'),
      meta: { requiresAuth: true, title: 'Devices' },
    },
    {
      path: SITE_PATHS.accountSettings,
      component: () => import('../account/AccountPage.vue'),
      meta: { requiresAuth: true, title: 'Account' },
    },
    {
      path: SITE_PATHS.forgotPassword,
      component: () => import('../account/ForgotPasswordPage.vue'),
      meta: { title: 'Forgot password' },
    },
    {
      path: SITE_PATHS.resetPassword,
      component: () => import('../account/ResetPasswordPage.vue'),
      meta: { title: 'New password' },
    },
    {
      path: SITE_PATHS.verifyEmail,
      component: () => import('../account/TokenLinkPage.vue'),
      props: { title: 'Confirm your e-mail address', apiPath: WEB_API_PATHS.verifyEmail, done: 'Your e-mail address is confirmed. Thank you!' },
      meta: { title: 'Confirm e-mail' },
    },
    {
      path: SITE_PATHS.confirmEmail,
      component: () => import('../account/TokenLinkPage.vue'),
      props: { title: 'Confirm your new e-mail address', apiPath: WEB_API_PATHS.confirmEmail, done: 'Your new e-mail address is confirmed and in use.' },
      meta: { title: 'Confirm new e-mail' },
    },
    {
      path: SITE_PATHS.backups,
      component: () => import('../backups/BackupsPage.vue'),
      meta: { requiresAuth: true, title: 'Cloud backup' },
    },
    {
      path: BILLING_SITE_PATHS.checkout,
      component: () => import('../checkout/CheckoutPage.vue'),
      meta: { requiresAuth: true, title: 'Checkout' },
    },
    {
      path: `${BILLING_SITE_PATHS.order}/:reference`,
      component: () => import('../checkout/OrderPage.vue'),
      meta: { requiresAuth: true, title: 'Your order' },
    },
    { path: '/:unknown(.*)*', component: () => import('./NotFoundPage.vue'), meta: { title: 'Page not found' } },
  ],
});

function loginLocation(to: RouteLocationNormalized, expired: boolean) {
  return { path: SITE_PATHS.login, query: { redirect: to.fullPath, ...(expired ? { expired: '1' } : {}) } };
}

router.beforeEach(async (to) => {
  const session = useSessionStore();
  if (!session.loaded.value || to.meta.requiresAuth === true) {
    // Pages behind the login re-check the session, so an expired one is noticed on navigation.
    const hadAccount = session.isLoggedIn.value;
    await session.refresh().catch(() => null);
    // A server that cannot be reached is not a logged-out visitor: the page says so instead (App.vue).
    if (session.unreachable.value) return true;
    if (to.meta.requiresAuth === true && !session.isLoggedIn.value) return loginLocation(to, hadAccount);
  }
  if (to.meta.guestOnly === true && session.isLoggedIn.value) return SITE_PATHS.subscription;
  return true;
});

router.afterEach((to) => {
  document.title = to.meta.title === 'rotki premium' ? 'rotki premium' : `${to.meta.title} · rotki premium`;
});

setSessionEndedHandler(() => {
  const session = useSessionStore();
  const current = router.currentRoute.value;
  const hadAccount = session.isLoggedIn.value;
  session.forget();
  if (current.meta.requiresAuth === true) void router.replace(loginLocation(current, hadAccount));
});
