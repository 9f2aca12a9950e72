import * as ui from '@rotki/ui-library';
import { createRuiPlugin as createSharedRuiPlugin } from '@rotki-premium/ui-core/rui';

/** rotki's design system with the icons this site and the library's components use (registered, not fetched). */
export function createRuiPlugin() {
  return createSharedRuiPlugin([
    ui.LuArrowDown,
    ui.LuArrowRight,
    ui.LuArrowUpDown,
    ui.LuCheck,
    ui.LuChevronDown,
    ui.LuChevronLeft,
    ui.LuChevronRight,
    ui.LuChevronsLeft,
    ui.LuChevronsRight,
    ui.LuCircleAlert,
    ui.LuCircleCheck,
    ui.LuCircleHelp,
    ui.LuCircleX,
    ui.LuCloudUpload,
    ui.LuCopy,
    ui.LuCreditCard,
    ui.LuEye,
    ui.LuEyeOff,
    ui.LuInfo,
    ui.LuKeyRound,
    ui.LuLaptop,
    ui.LuLogIn,
    ui.LuLogOut,
    ui.LuMenu,
    ui.LuMonitorSmartphone,
    ui.LuPencil,
    ui.LuRefreshCw,
    ui.LuTrash2,
    ui.LuTriangleAlert,
    ui.LuX,
  ]);
}
