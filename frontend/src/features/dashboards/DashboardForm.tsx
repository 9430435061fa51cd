import { useState, type FormEvent } from "react";
import { Modal } from "../../components/Modal";

interface DashboardFormProps {
  title: string;
  submitLabel: string;
  initialName?: string;
  initialDescription?: string | null;
  busy: boolean;
  error?: string | null;
  onSubmit: (values: { name: string; description: string | null }) => void;
  onClose: () => void;
}

/** Name and description of a dashboard: used by "Save as" and by "Rename". */
export function DashboardForm({ title, submitLabel, initialName = "", initialDescription = "", busy, error, onSubmit, onClose }: DashboardFormProps) {
  const [name, setName] = useState(initialName);
  const [description, setDescription] = useState(initialDescription ?? "");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (name.trim()) onSubmit({ name: name.trim(), description: description.trim() || null });
  };
  return (
    <Modal
      title={title}
      onClose={onClose}
      footer={
        <>
          <button className="btn" onClick={onClose}>Cancel</button>
          <button className="btn btn-primary" type="submit" form="dashboard-form" disabled={busy || !name.trim()}>
            {busy ? "Saving…" : submitLabel}
          </button>
        </>
      }
    >
      <form id="dashboard-form" className="stack" onSubmit={submit}>
        {error && <div className="alert alert-error" role="alert">{error}</div>}
        <div className="field">
          <label htmlFor="dashboard-name">Name</label>
          <input id="dashboard-name" className="input" required maxLength={200} autoFocus value={name} onChange={(event) => setName(event.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="dashboard-description">Description</label>
          <textarea id="dashboard-description" className="input" maxLength={10000} value={description} onChange={(event) => setDescription(event.target.value)} />
        </div>
      </form>
    </Modal>
  );
}
