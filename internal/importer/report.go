package importer

import (
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/xuri/excelize/v2"

	"tuopin/internal/i18n"
)

// WriteTemplate writes an empty roster template with Chinese headers
// (required ones marked *), an example row, a sheet explaining each
// column's allowed values, and the ID number column formatted as text so
// Excel cannot turn numbers into 5.30627E+17.
func WriteTemplate(path string) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := "户籍成员"
	f.SetSheetName("Sheet1", sheet)
	textStyle, err := f.NewStyle(&excelize.Style{NumFmt: 49})
	if err != nil {
		return err
	}
	headStyle, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return err
	}
	for i, c := range Columns {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		h := c.Header()
		if c.Required {
			h = "*" + h
		}
		f.SetCellStr(sheet, cell, h)
		ex, _ := excelize.CoordinatesToCellName(i+1, 2)
		f.SetCellStr(sheet, ex, c.Example)
		col, _ := excelize.ColumnNumberToName(i + 1)
		f.SetColWidth(sheet, col, col, 14)
		if c.Kind == IDNumber || c.Field == "number" || c.Field == "village_code" || c.Field == "phone" || c.Field == "bank_account" || c.Field == "disability_cert" {
			f.SetColStyle(sheet, col, textStyle)
			f.SetColWidth(sheet, col, col, 22)
		}
	}
	last, _ := excelize.CoordinatesToCellName(len(Columns), 1)
	f.SetCellStyle(sheet, "A1", last, headStyle)
	f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})

	help := "填写说明"
	f.NewSheet(help)
	f.SetSheetRow(help, "A1", &[]any{"列 Column", "必填 Required", "允许的取值 Allowed values", "English"})
	for i, c := range Columns {
		req := ""
		if c.Required {
			req = "是 yes"
		}
		allowed := ""
		switch c.Kind {
		case Enum, EnumList:
			var parts []string
			for _, code := range listCodes(c.List) {
				parts = append(parts, i18n.T(i18n.ZH, "code."+c.List+"."+code))
			}
			allowed = strings.Join(parts, "、")
		case Bool:
			allowed = "是 / 否"
		case Int:
			allowed = "整数 whole number"
		case Decimal:
			allowed = "数字 number"
		case Money:
			allowed = "金额(元)amount in yuan"
		case IDNumber:
			allowed = "18 位身份证号,单元格设为文本 18-character ID, formatted as text"
		}
		row := []any{c.Header(), req, allowed, i18n.T(i18n.EN, "field."+c.Field)}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		f.SetSheetRow(help, cell, &row)
	}
	f.SetColWidth(help, "A", "A", 24)
	f.SetColWidth(help, "C", "C", 60)
	return f.SaveAs(path)
}

func listCodes(list string) []string {
	var out []string
	seen := map[string]bool{}
	for _, code := range enumCodes[list] {
		if !seen[code] {
			seen[code] = true
			out = append(out, code)
		}
	}
	// keep the registry's order
	ordered := []string{}
	for _, c := range registryList(list) {
		if seen[c] {
			ordered = append(ordered, c)
		}
	}
	if len(ordered) == len(out) {
		return ordered
	}
	return out
}

// WriteReport writes the error report of res to path: .xlsx gets an
// errors sheet and, when the input was .xlsx too, a copy of the input
// with every bad cell filled red and its reason in a comment; any other
// extension gets CSV (UTF-8 with BOM so Excel opens it correctly).
func WriteReport(path string, res Result, input string) error {
	if strings.EqualFold(filepath.Ext(path), ".xlsx") {
		return writeXLSXReport(path, res, input)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := writeCSVReport(f, res); err != nil {
		return err
	}
	return f.Close()
}

func reportRows(res Result) [][]string {
	rows := [][]string{{"行号 row", "列 column", "值 value", "原因", "reason"}}
	for _, e := range res.Errors {
		rows = append(rows, []string{strconv.Itoa(e.Row), e.Column, e.Value, e.Reason.In(i18n.ZH), e.Reason.In(i18n.EN)})
	}
	if extra := res.ErrorCount - len(res.Errors); extra > 0 {
		rows = append(rows, []string{"", "", "", fmt.Sprintf("另有 %d 处错误未列出", extra), fmt.Sprintf("%d more errors not listed", extra)})
	}
	for _, w := range res.Warnings {
		rows = append(rows, []string{strconv.Itoa(w.Row), w.Column, w.Value, w.Reason.In(i18n.ZH), w.Reason.In(i18n.EN)})
	}
	return rows
}

func writeCSVReport(w io.Writer, res Result) error {
	if _, err := w.Write([]byte("\xef\xbb\xbf")); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.WriteAll(reportRows(res)); err != nil {
		return err
	}
	cw.Flush()
	return cw.Error()
}

func writeXLSXReport(path string, res Result, input string) error {
	f := excelize.NewFile()
	defer f.Close()
	sheet := "错误 errors"
	f.SetSheetName("Sheet1", sheet)
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	for i, r := range reportRows(res) {
		vals := make([]any, len(r))
		for j, v := range r {
			vals[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, vals); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	if strings.EqualFold(filepath.Ext(input), ".xlsx") && len(res.Errors) > 0 {
		if err := markedCopy(f, res, input); err != nil {
			return err
		}
	}
	return f.SaveAs(path)
}

// markedCopy copies the input's first sheet into f with bad cells red.
func markedCopy(f *excelize.File, res Result, input string) error {
	bad := map[[2]int]string{}
	badRow := map[int]bool{}
	for _, e := range res.Errors {
		key := [2]int{e.Row, e.Col}
		if prev, ok := bad[key]; ok {
			bad[key] = prev + "; " + e.Reason.Both()
		} else {
			bad[key] = e.Reason.Both()
		}
		badRow[e.Row] = true
	}
	red, err := f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FF9999"}}})
	if err != nil {
		return err
	}
	pink, err := f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"FFE4E4"}}})
	if err != nil {
		return err
	}
	rr, err := openXLSX(input)
	if err != nil {
		return err
	}
	defer rr.close()
	sheet := "标注 marked"
	f.NewSheet(sheet)
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	var comments []excelize.Comment
	for {
		cells, row, err := rr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		vals := make([]any, len(cells))
		for j, v := range cells {
			c := excelize.Cell{Value: v}
			if reason, ok := bad[[2]int{row, j}]; ok {
				c.StyleID = red
				name, _ := excelize.CoordinatesToCellName(j+1, row)
				comments = append(comments, excelize.Comment{Cell: name, Author: "tuopin", Text: reason})
			} else if badRow[row] {
				c.StyleID = pink
			}
			vals[j] = c
		}
		cell, _ := excelize.CoordinatesToCellName(1, row)
		if err := sw.SetRow(cell, vals); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	for _, c := range comments {
		if err := f.AddComment(sheet, c); err != nil {
			return err
		}
	}
	return nil
}
