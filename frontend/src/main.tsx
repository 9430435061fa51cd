import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { applyTheme, watchSystemTheme } from "./theme";
import "./styles/tokens.css";
import "./styles/app.css";

applyTheme();
watchSystemTheme();
createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
