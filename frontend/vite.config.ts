/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The API and the UI share one origin in production (`dlv serve`); in development Vite
// proxies the API to a local `dlv serve`.
const api = process.env.DLV_API ?? "http://127.0.0.1:8000";

export default defineConfig({
  base: "/",
  plugins: [react()],
  // Module workers can load chunks on demand (the layout worker loads ELK only when needed).
  worker: { format: "es" },
  build: {
    outDir: "../dlv/static",
    emptyOutDir: true,
    // No inline scripts or data: modules, so the server's CSP can stay strict.
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 2000,
  },
  server: {
    proxy: { "/api": api, "/schema": api, "/health": api },
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["src/test/setup.ts"],
    css: false,
  },
});
