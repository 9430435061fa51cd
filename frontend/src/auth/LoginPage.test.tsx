import { act, render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { AuthProvider } from "./AuthContext";
import LoginPage, { safeNext } from "./LoginPage";

function renderLogin(fetchImpl: typeof fetch, entry = "/login?next=%2Fnodes%3Fopen%3D1") {
  vi.stubGlobal("fetch", fetchImpl);
  return render(
    <QueryClientProvider client={new QueryClient()}>
      <AuthProvider>
        <MemoryRouter initialEntries={[entry]}>
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

/** Answers GET /api/auth/providers with `providers`, anything else with `other`. */
function server(providers: unknown, other: () => Response = () => json(404, { detail: "not here" })) {
  return vi.fn(async (request: Request) => (new URL(request.url).pathname === "/api/auth/providers" ? json(200, providers) : other()));
}

const SSO = { name: "Acme SSO", login_url: "/api/auth/oidc/login" };

test("with single sign-on the page offers it, keeping where the user wanted to go", async () => {
  renderLogin(server({ local_login: true, oidc: SSO }) as unknown as typeof fetch);
  const link = await screen.findByRole("link", { name: "Sign in with Acme SSO" });
  expect(link).toHaveAttribute("href", "/api/auth/oidc/login?next=%2Fnodes%3Fopen%3D1");
  expect(screen.getByLabelText("Password")).toBeInTheDocument();
});

test("with local login off only single sign-on is offered", async () => {
  renderLogin(server({ local_login: false, oidc: SSO }) as unknown as typeof fetch);
  expect(await screen.findByRole("link", { name: "Sign in with Acme SSO" })).toBeInTheDocument();
  expect(screen.queryByLabelText("Password")).not.toBeInTheDocument();
  expect(screen.queryByRole("button", { name: "Sign in" })).not.toBeInTheDocument();
});

test("without single sign-on the page is the password form alone", async () => {
  const fetchMock = server({ local_login: true, oidc: null });
  renderLogin(fetchMock as unknown as typeof fetch);
  await act(async () => {
    await vi.waitFor(() => expect(fetchMock).toHaveBeenCalled());
    await new Promise((settled) => setTimeout(settled, 50)); // the answer is rendered
  });
  expect(screen.getByLabelText("Password")).toBeInTheDocument();
  expect(screen.queryByRole("link", { name: /Sign in with/ })).not.toBeInTheDocument();
});

test("a refused single sign-on shows the server's reason", async () => {
  const reason = "Your account is in none of the groups DLV accepts: ask to be added to one of dlv-admins, dlv-viewers.";
  renderLogin(server({ local_login: true, oidc: SSO }) as unknown as typeof fetch, `/login?sso_error=${encodeURIComponent(reason)}`);
  expect(await screen.findByRole("alert")).toHaveTextContent(reason);
});

test("the token single sign-on hands back in the fragment is kept and leaves the address bar", async () => {
  sessionStorage.setItem("dlv.sso.pending", "1"); // what clicking "Sign in with ..." does
  window.history.replaceState(null, "", "/ui/login?next=%2Fnodes#sso_token=sso-t0k3n");
  renderLogin(server({ local_login: true, oidc: SSO }) as unknown as typeof fetch);
  expect(await screen.findByText("nodes page")).toBeInTheDocument();
  expect(sessionStorage.getItem("dlv.token")).toBe("sso-t0k3n");
  expect(window.location.hash).toBe("");
  window.history.replaceState(null, "", "/");
});

test("a token in a link this tab did not ask for is ignored", async () => {
  window.history.replaceState(null, "", "/ui/login?next=%2Fnodes#sso_token=someone-elses-t0k3n");
  renderLogin(server({ local_login: true, oidc: SSO }) as unknown as typeof fetch);
  expect(await screen.findByRole("link", { name: "Sign in with Acme SSO" })).toBeInTheDocument();
  expect(sessionStorage.getItem("dlv.token")).toBeNull();
  expect(window.location.hash).toBe("");
  window.history.replaceState(null, "", "/");
});

test("clicking the single sign-on button marks this tab as waiting for a token", async () => {
  const user = userEvent.setup();
  renderLogin(server({ local_login: true, oidc: SSO }) as unknown as typeof fetch);
  const link = await screen.findByRole("link", { name: "Sign in with Acme SSO" });
  link.addEventListener("click", (event) => event.preventDefault()); // jsdom cannot navigate
  await user.click(link);
  expect(sessionStorage.getItem("dlv.sso.pending")).toBe("1");
});
