import { render, screen, within } from "@testing-library/react";
import { TestReportView, formatLatency } from "./TestReportView";

test("a failed connection test names the failing step and why", () => {
  render(
    <TestReportView
      report={{
        status: "error",
        message: "password authentication failed for user dlv",
        latency_ms: 42.4,
        steps: [
          { name: "resolve host", passed: true, message: "127.0.0.1" },
          { name: "authenticate", passed: false, message: "password authentication failed" },
        ],
      }}
    />,
  );
  const report = screen.getByRole("status", { name: "Connection test result" });
  expect(within(report).getByText("error")).toBeInTheDocument();
  expect(within(report).getByText("42 ms")).toBeInTheDocument();
  const steps = within(report).getAllByTestId("test-step");
  expect(steps[0]).toHaveClass("passed");
  expect(steps[1]).toHaveClass("failed");
  expect(steps[1]).toHaveTextContent("failed:authenticatepassword authentication failed");
});

test("latency reads in ms or seconds", () => {
  expect(formatLatency(null)).toBe("—");
  expect(formatLatency(1534)).toBe("1.5 s");
});
