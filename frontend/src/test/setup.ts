import "@testing-library/jest-dom/vitest";

// jsdom has <dialog> but not its modal methods; these stand-ins keep the open attribute
// semantics the Modal relies on.
if (!HTMLDialogElement.prototype.showModal) {
  HTMLDialogElement.prototype.showModal = function showModal(this: HTMLDialogElement) {
    this.setAttribute("open", "");
  };
  HTMLDialogElement.prototype.close = function close(this: HTMLDialogElement) {
    this.removeAttribute("open");
  };
}
