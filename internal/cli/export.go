package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"

	"tuopin/internal/auth"
	"tuopin/internal/importer"
	"tuopin/internal/store"
)

// exportHouseholds writes the households under area as a roster file
// that import reads back unchanged.
func exportHouseholds(ctx context.Context, s *store.Store, area, path string) (int, error) {
	p := auth.System("export")
	xlsx := strings.EqualFold(filepath.Ext(path), ".xlsx")
	var cw *importer.CSVWriter
	var xw *importer.XLSXWriter
	var f *os.File
	var err error
	if xlsx {
		if xw, err = importer.NewXLSXWriter(); err != nil {
			return 0, err
		}
	} else {
		if f, err = os.Create(path); err != nil {
			return 0, err
		}
		defer f.Close()
		if cw, err = importer.NewCSVWriter(f); err != nil {
			return 0, err
		}
	}
	n := 0
	err = s.EachHousehold(ctx, p, store.HouseholdFilter{Area: area}, func(h *store.FullHousehold) error {
		n++
		if xlsx {
			return xw.Write(&h.Household)
		}
		return cw.Write(&h.Household)
	})
	if err != nil {
		return n, err
	}
	if xlsx {
		return n, xw.SaveAs(path)
	}
	if err := cw.Close(); err != nil {
		return n, err
	}
	return n, f.Close()
}
