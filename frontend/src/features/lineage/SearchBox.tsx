import { useId, useState, type KeyboardEvent } from "react";
import { useDebounced } from "../../lib/useDebounced";
import type { SearchHit } from "../../api/types";
import { Spinner } from "../../components/feedback";
import { useSearch } from "./api";

const TYPE_LABEL: Record<SearchHit["type"], string> = { asset: "Asset", process: "Process", node: "Catalog node" };

/** An ARIA combobox: type, move with the arrow keys, Enter opens, Escape closes. */
export function SearchBox({ onPick, autoFocus }: { onPick: (hit: SearchHit) => void; autoFocus?: boolean }) {
  const [text, setText] = useState("");
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(0);
  const query = useSearch(useDebounced(text, 200));
  const hits = query.data?.items ?? [];
  const listId = useId();
  const showList = open && text.trim().length > 0;

  const pick = (hit: SearchHit) => {
    setOpen(false);
    setText("");
    onPick(hit);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLInputElement>) => {
    if (event.key === "ArrowDown") {
      event.preventDefault();
      setOpen(true);
      setActive((index) => Math.min(index + 1, hits.length - 1));
    } else if (event.key === "ArrowUp") {
      event.preventDefault();
      setActive((index) => Math.max(index - 1, 0));
    } else if (event.key === "Enter" && showList && hits[active]) {
      event.preventDefault();
      pick(hits[active]);
    } else if (event.key === "Escape") {
      setOpen(false);
    }
  };

  return (
    <div className="search-box">
      <input
        className="input"
        type="search"
        role="combobox"
        aria-label="Search assets, processes and nodes"
        aria-expanded={showList}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={showList && hits[active] ? `${listId}-${active}` : undefined}
        placeholder="Search assets, processes, nodes…"
        value={text}
        autoFocus={autoFocus}
        onChange={(event) => {
          setText(event.target.value);
          setOpen(true);
          setActive(0);
        }}
        onFocus={() => setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
        onKeyDown={onKeyDown}
      />
      {showList && (
        <ul className="search-results card" role="listbox" id={listId} aria-label="Search results">
          {query.isFetching && !hits.length && (
            <li className="search-status">
              <Spinner /> Searching…
            </li>
          )}
          {!query.isFetching && query.isSuccess && !hits.length && <li className="search-status">No match for “{text.trim()}”.</li>}
          {query.isError && <li className="search-status">{query.error.message}</li>}
          {hits.map((hit, index) => (
            <li
              key={`${hit.type}:${hit.id}`}
              id={`${listId}-${index}`}
              role="option"
              aria-selected={index === active}
              className="search-hit"
              onMouseDown={(event) => event.preventDefault()}
              onMouseEnter={() => setActive(index)}
              onClick={() => pick(hit)}
            >
              <span className={`kind-chip ${hit.type}`} aria-hidden="true">
                {hit.type === "process" ? "ƒ" : hit.type === "node" ? "◉" : "▦"}
              </span>
              <span className="search-hit-text">
                <span className="truncate name">{hit.name}</span>
                <span className="truncate subtle">
                  {TYPE_LABEL[hit.type]} · {hit.kind}
                  {hit.namespace ? ` · ${hit.namespace}` : ""}
                  {hit.owner ? ` · ${hit.owner}` : ""}
                </span>
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
