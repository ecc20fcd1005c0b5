import { App as AntApp, ConfigProvider } from "antd";
import zhCN from "antd/locale/zh_CN";
import dayjs from "dayjs";
import "dayjs/locale/zh-cn";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./app";
import "./styles.css";

// Date pickers: Chinese month and weekday names, weeks starting on Monday (antd's zh_CN covers
// the picker's own texts; dayjs's locale covers the calendar).
dayjs.locale("zh-cn");

// Someone who asked their system for less motion gets dialogs, drawers and messages without their
// zoom and slide (antd's motion token off); everyone else gets antd's animations.
const reducedMotion = window.matchMedia?.("(prefers-reduced-motion: reduce)").matches ?? false;

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <ConfigProvider
        locale={zhCN}
        theme={{
          // Red means an error (and a destructive action): the primary colour, and with it the focus
          // ring of every field and button, is a calm blue; the brand's red stays on the logo only.
          token: {
            colorPrimary: "#2b6cb0",
            colorLink: "#2b6cb0",
            borderRadius: 4,
            motion: !reducedMotion,
            fontFamily:
              '-apple-system, BlinkMacSystemFont, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", "Helvetica Neue", Arial, sans-serif',
          },
          components: {
            Layout: { siderBg: "#1f2d3d", headerBg: "#fff", headerHeight: 56, headerPadding: "0 24px" },
            Menu: { darkItemBg: "#1f2d3d", darkSubMenuItemBg: "#1a2633" },
          },
        }}
      >
        <AntApp>
          <App />
        </AntApp>
      </ConfigProvider>
    </StrictMode>,
  );
}
