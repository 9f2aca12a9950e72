import { ADMIN_PAGES } from '@rotki-premium/protocol/admin-api';
import { createRouter, createWebHistory } from 'vue-router';
import { useOperator } from '../auth/use-operator.ts';
import { setSignedOutHandler } from './use-console-api.ts';

declare module 'vue-router' {
  interface RouteMeta {
    title: string;
    /** Only for admins: support operators see a page saying so. */
    adminOnly?: boolean;
    public?: boolean;
  }
}

export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: ADMIN_PAGES.signIn, component: () => import('../auth/SignInPage.vue'), meta: { title: 'Sign in', public: true } },
    { path: ADMIN_PAGES.dashboard, component: () => import('../dashboard/DashboardPage.vue'), meta: { title: 'Dashboard' } },
    { path: ADMIN_PAGES.customers, component: () => import('../customers/CustomersPage.vue'), meta: { title: 'Customers' } },
    { path: ADMIN_PAGES.customer, component: () => import('../customers/CustomerPage.vue'), meta: { title: 'Customer' } },
    { path: ADMIN_PAGES.tiers, component: () => import('../tiers/TiersPage.vue'), meta: { title: 'Tiers and prices', adminOnly: true } },
    { path: ADMIN_PAGES.audit, component: () => import('../audit/AuditPage.vue'), meta: { title: 'Audit log' } },
    { path: ADMIN_PAGES.events, component: () => import('../operations/EventsPage.vue'), meta: { title: 'Payment events' } },
    { path: ADMIN_PAGES.mail, component: () => import('../operations/MailPage.vue'), meta: { title: 'Mail outbox' } },
    { path: ADMIN_PAGES.system, component: () => import('../system/SystemPage.vue'), meta: { title: 'System' } },
  ],
});

router.beforeEach(async (to) => {
  if (to.meta.public === true) return true;
  const operator = await useOperator().current();
  if (operator === null) return { path: ADMIN_PAGES.signIn, query: { redirect: to.fullPath } };
  return true;
});

router.afterEach((to) => {
  document.title = `${to.meta.title} · rotki premium console`;
});

setSignedOutHandler(() => {
  useOperator().forget();
  if (router.currentRoute.value.meta.public !== true) void router.push(ADMIN_PAGES.signIn);
});
