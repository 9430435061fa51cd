import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { AuthProvider } from "./AuthContext";
import LoginPage, { safeNext } from "./LoginPage";

function renderLogin(fetchImpl: typeof fetch) {
  vi.stubGlobal("fetch", fetchImpl);
  return render(
    <QueryClientProvider client={new QueryClient()}>
      <AuthProvider>
        <MemoryRouter initialEntries={["/login?next=%2Fnodes%3Fopen%3D1"]}>
          <Routes>
            <Route path="/login" element={<LoginPage />} />
            <Route path="/nodes" element={<p>nodes page</p>} />
          </Routes>
        </MemoryRouter>
      </AuthProvider>
    </QueryClientProvider>,
  );
}

afterEach(() => {
  vi.unstubAllGlobals();
  sessionStorage.clear();
});

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

test("wrong credentials show the server's message and keep the user on the form", async () => {
  const user = userEvent.setup();
  renderLogin(vi.fn(async () => json(401, { status: 401, detail: "Wrong username or password." })));
  await user.type(screen.getByLabelText("Username"), "admin");
  await user.type(screen.getByLabelText("Password"), "nope");
  await user.click(screen.getByRole("button", { name: "Sign in" }));
  expect(await screen.findByRole("alert")).toHaveTextContent("Wrong username or password.");
  expect(sessionStorage.getItem("dlv.token")).toBeNull();
});

test("a successful login stores the token and returns to the page the user wanted", async () => {
  const user = userEvent.setup();
  renderLogin(vi.fn(async () => json(200, { access_token: "t0k3n", token_type: "bearer", expires_in: 3600 })));
  await user.type(screen.getByLabelText("Username"), "admin");
  await user.type(screen.getByLabelText("Password"), "right");
  await user.click(screen.getByRole("button", { name: "Sign in" }));
  expect(await screen.findByText("nodes page")).toBeInTheDocument();
  expect(sessionStorage.getItem("dlv.token")).toBe("t0k3n");
});

test("only same-app paths are accepted as the place to return to", () => {
  expect(safeNext("/lineage?node=1")).toBe("/lineage?node=1");
  expect(safeNext("//evil.example")).toBe("/lineage");
  expect(safeNext("https://evil.example")).toBe("/lineage");
  expect(safeNext(null)).toBe("/lineage");
});
