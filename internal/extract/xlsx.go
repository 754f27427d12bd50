package extract

import (
	"context"
	"fmt"
	"strings"

	"github.com/xuri/excelize/v2"
)

// extractXLSX reads a workbook with excelize: every sheet (sheets are pages
// for MaxPages/TargetPages), each row a line of tab-separated cell values.
func (e *Extractor) extractXLSX(ctx context.Context, in *input, opts Options, s *sink, doc *Document) error {
	// excelize holds the whole package in memory: check the archive against
	// the budgets before handing it over (archive/zip fails an entry that
	// inflates beyond its declared size, so declared sizes are a bound).
	zr, err := in.zipReader(e.cfg.MaxZipEntries)
	if err != nil {
		return err
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if total > uint64(e.cfg.MaxZipBytes) {
			return fmt.Errorf("%w: entries declare more than %d bytes", ErrBomb, e.cfg.MaxZipBytes)
		}
	}
	wb, err := excelize.OpenReader(in.section(), excelize.Options{
		UnzipSizeLimit:    e.cfg.MaxZipBytes,
		UnzipXMLSizeLimit: e.cfg.MaxZipBytes, // never spill to temporary files
	})
	if err != nil {
		return fmt.Errorf("%w: xlsx: %v", ErrMalformed, err)
	}
	defer wb.Close()
	if props, err := wb.GetDocProps(); err == nil && props != nil {
		doc.Title = oneLine(props.Title)
	}
	sheets := wb.GetSheetList()
	sel := newPageSelector(len(sheets), opts)
	doc.Pages = 0
	for i, name := range sheets {
		if !sel.want(i) {
			continue
		}
		doc.Pages++
		if err := xlsxSheet(ctx, wb, name, len(sheets) > 1, s); err != nil {
			return err
		}
	}
	if doc.Pages == 0 && len(opts.TargetPages) > 0 {
		return fmt.Errorf("%w: %d sheets", ErrNoPages, len(sheets))
	}
	return nil
}

func xlsxSheet(ctx context.Context, wb *excelize.File, name string, heading bool, s *sink) error {
	rows, err := wb.Rows(name)
	if err != nil {
		return fmt.Errorf("%w: xlsx sheet %q: %v", ErrMalformed, name, err)
	}
	defer rows.Close()
	if heading {
		if err := s.write("# " + name + "\n"); err != nil {
			return err
		}
	}
	for rows.Next() {
		if err := s.check(); err != nil {
			return err
		}
		cells, err := rows.Columns()
		if err != nil {
			return fmt.Errorf("%w: xlsx sheet %q: %v", ErrMalformed, name, err)
		}
		for len(cells) > 0 && strings.TrimSpace(cells[len(cells)-1]) == "" {
			cells = cells[:len(cells)-1]
		}
		if len(cells) == 0 {
			continue
		}
		for i, c := range cells {
			cells[i] = strings.Join(strings.Fields(c), " ")
		}
		if err := s.write(strings.Join(cells, "\t") + "\n"); err != nil {
			return err
		}
	}
	if err := rows.Error(); err != nil {
		return fmt.Errorf("%w: xlsx sheet %q: %v", ErrMalformed, name, err)
	}
	return s.separator()
}
