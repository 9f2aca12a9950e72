import '@rotki/ui-library/style.css';
import '@fontsource/roboto/latin-400.css';
import '@fontsource/roboto/latin-500.css';
import '@fontsource/roboto/latin-700.css';
import '@rotki-premium/ui-core/base.css';
import './modules/core/site.css';
import { createApp } from 'vue';
import App from './App.vue';
import { createRuiPlugin } from './modules/core/rui.ts';
import { router } from './modules/core/router.ts';

createApp(App).use(createRuiPlugin()).use(router).mount('#app');
