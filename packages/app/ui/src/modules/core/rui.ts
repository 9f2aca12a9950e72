import * as ui from '@rotki/ui-library';
import { createRuiPlugin as createSharedRuiPlugin } from '@rotki-premium/ui-core/rui';

/** rotki's design system with the icons this UI and the library's components use (registered, not fetched). */
export function createRuiPlugin() {
  return createSharedRuiPlugin([
    ui.LuArrowDown,
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
    ui.LuCloudDownload,
    ui.LuCloudUpload,
    ui.LuExternalLink,
    ui.LuEye,
    ui.LuEyeOff,
    ui.LuInfo,
    ui.LuKeyRound,
    ui.LuLaptop,
    ui.LuLogOut,
    ui.LuNotebookPen,
    ui.LuPencil,
    ui.LuRefreshCw,
    ui.LuTrash2,
    ui.LuTriangleAlert,
    ui.LuMenu,
    ui.LuX,
  ]);
}
