package sandbox

import "database/sql"

// readPage reads one keyset page from rows, which a query asked for limit+1 of (ordered by seq,
// after the previous page's last seq): up to limit items made by scan, and the cursor of the next
// page, "" when this one is the last. kind scopes the cursor to its list (see encodeCursor).
func readPage[T any](rows *sql.Rows, limit int, kind string, scan func(*sql.Rows) (int64, T, error)) ([]T, string, error) {
	defer rows.Close()
	items := make([]T, 0, min(limit, 64))
	var lastSeq int64
	for rows.Next() {
		if len(items) == limit {
			return items, encodeCursor(kind, lastSeq), nil
		}
		seq, item, err := scan(rows)
		if err != nil {
			return nil, "", err
		}
		lastSeq = seq
		items = append(items, item)
	}
	return items, "", rows.Err()
}
