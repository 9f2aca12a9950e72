import '@rotki/ui-library/style.css';
import '@fontsource/roboto/latin-400.css';
import '@fontsource/roboto/latin-500.css';
import '@rotki-premium/ui-core/base.css';
import './modules/core/console.css';
import * as ui from '@rotki/ui-library';
import { createRuiPlugin } from '@rotki-premium/ui-core/rui';
import { createApp } from 'vue';
import App from './App.vue';
import { router } from './modules/core/router.ts';

const icons = [ui.LuCheck, ui.LuChevronDown, ui.LuChevronLeft, ui.LuChevronRight, ui.LuCircleAlert, ui.LuCircleCheck, ui.LuInfo, ui.LuTriangleAlert, ui.LuX, ui.LuEye, ui.LuEyeOff];
createApp(App).use(createRuiPlugin(icons)).use(router).mount('#app');
