package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// rowReader yields the rows of a file one at a time, header first.
type rowReader interface {
	// next returns the cells of the next row and its 1-based row number,
	// or io.EOF.
	next() ([]string, int, error)
	close() error
}

// openRows opens path as .xlsx (first sheet) or as CSV.
func openRows(path string) (rowReader, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".xlsx", ".xlsm":
		return openXLSX(path)
	default:
		return openCSV(path)
	}
}

type csvRows struct {
	f   *os.File
	r   *csv.Reader
	row int
}

// openCSV reads UTF-8 (with or without BOM) or GBK/GB18030, deciding by
// whether the first megabyte is valid UTF-8.
func openCSV(path string) (*csvRows, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(f, 1<<20)
	head, err := br.Peek(1 << 20)
	if err != nil && err != io.EOF && err != bufio.ErrBufferFull {
		f.Close()
		return nil, err
	}
	var in io.Reader = br
	if bytes.HasPrefix(head, []byte("\xef\xbb\xbf")) {
		br.Discard(3)
	} else if !validUTF8Prefix(head) {
		in = transform.NewReader(br, simplifiedchinese.GB18030.NewDecoder())
	}
	r := csv.NewReader(in)
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	r.LazyQuotes = true
	return &csvRows{f: f, r: r}, nil
}

// validUTF8Prefix is utf8.Valid that forgives a rune cut at the end.
func validUTF8Prefix(b []byte) bool {
	for i := 0; i < 3 && len(b) > 0; i++ {
		if utf8.Valid(b) {
			return true
		}
		b = b[:len(b)-1]
	}
	return utf8.Valid(b)
}

func (c *csvRows) next() ([]string, int, error) {
	rec, err := c.r.Read()
	if err != nil {
		if pe, ok := err.(*csv.ParseError); ok {
			return nil, c.row + 1, fmt.Errorf("csv row %d: %w", pe.Line, pe.Err)
		}
		return nil, c.row, err
	}
	c.row++
	return rec, c.row, nil
}

func (c *csvRows) close() error { return c.f.Close() }

type xlsxRows struct {
	f    *excelize.File
	rows *excelize.Rows
	row  int
}

func openXLSX(path string) (*xlsxRows, error) {
	f, err := excelize.OpenFile(path)
	if err != nil {
		return nil, err
	}
	sheet := f.GetSheetName(0)
	rows, err := f.Rows(sheet)
	if err != nil {
		f.Close()
		return nil, err
	}
	return &xlsxRows{f: f, rows: rows}, nil
}

func (x *xlsxRows) next() ([]string, int, error) {
	if !x.rows.Next() {
		if err := x.rows.Error(); err != nil {
			return nil, x.row, err
		}
		return nil, x.row, io.EOF
	}
	x.row++
	// Raw values: an ID number Excel stored as a number then reads as
	// 5.30627199001011E+17 instead of being formatted into something that
	// looks whole, so the damage is seen and reported.
	cells, err := x.rows.Columns(excelize.Options{RawCellValue: true})
	return cells, x.row, err
}

func (x *xlsxRows) close() error {
	x.rows.Close()
	return x.f.Close()
}
