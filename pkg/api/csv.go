package api

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"mime"
	"net/http"
	"strings"
)

// writeCSV answers rows as a CSV attachment named fileName (text/csv, UTF-8, not cached). Every
// cell is made safe for spreadsheets (csvSafe) and every row is padded to the widest one, so
// that the file reads as one CSV table. The whole file is built before anything is sent, so
// that a failure still answers the API's JSON error.
func writeCSV(w http.ResponseWriter, fileName string, rows [][]string) error {
	columns := 0
	for _, row := range rows {
		columns = max(columns, len(row))
	}
	var buf bytes.Buffer
	out := csv.NewWriter(&buf)
	for _, row := range rows {
		cells := make([]string, columns)
		for i, cell := range row {
			cells[i] = csvSafe(cell)
		}
		if err := out.Write(cells); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	out.Flush()
	if err := out.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": fileName}))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// csvSafe keeps a cell from being read as a formula by a spreadsheet (CSV injection): a cell
// that starts with one of = + - @ (or a tab or carriage return) is prefixed with a quote.
func csvSafe(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}
