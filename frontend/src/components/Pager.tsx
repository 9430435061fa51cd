/** Newer/Older paging for a newest-first list; shown only when there is more than one page. */
export function Pager({ page, pageSize, total, noun, onPage }: {
  page: number;
  pageSize: number;
  total: number;
  noun: string;
  onPage: (page: number) => void;
}) {
  if (total <= pageSize) return null;
  return (
    <div className="row">
      <button className="btn btn-sm" disabled={page === 1} onClick={() => onPage(page - 1)}>Newer</button>
      <span className="subtle">Page {page} of {Math.ceil(total / pageSize)} ({total} {noun})</span>
      <button className="btn btn-sm" disabled={page * pageSize >= total} onClick={() => onPage(page + 1)}>Older</button>
    </div>
  );
}
