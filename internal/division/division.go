// Package division holds the statistical division codes (统计用区划代码) of
// the National Bureau of Statistics: all provinces, prefectures and
// counties of China, and Yunnan down to villages, as published for 2023.
// Codes are reissued every year, so the code version travels with them.
package division

import (
	"embed"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
)

// CodeVersion names the NBS release the embedded codes come from.
const CodeVersion = "NBS-2023"

// Levels of the division tree.
const (
	Province   = "province"
	Prefecture = "prefecture"
	County     = "county"
	Township   = "township"
	Village    = "village"
)

// Division is one unit of the tree. Code is the short NBS code for its
// level: 2 digits for a province, 4 for a prefecture, 6 for a county, 9 for
// a township and 12 for a village (村级).
type Division struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	Level  string `json:"level"`
	Parent string `json:"parent_code"`
}

//go:embed data/*.csv
var files embed.FS

// Table is an immutable in-memory index of divisions.
type Table struct {
	byCode   map[string]Division
	children map[string][]string
}

var (
	loadOnce sync.Once
	builtin  *Table
	loadErr  error
)

// Builtin returns the embedded NBS 2023 table, parsed once.
func Builtin() (*Table, error) {
	loadOnce.Do(func() {
		t := &Table{byCode: map[string]Division{}, children: map[string][]string{}}
		for _, name := range []string{"data/divisions-china-counties-2023.csv", "data/divisions-yunnan-2023.csv"} {
			f, err := files.Open(name)
			if err != nil {
				loadErr = err
				return
			}
			err = t.read(f)
			f.Close()
			if err != nil {
				loadErr = fmt.Errorf("%s: %w", name, err)
				return
			}
		}
		for _, kids := range t.children {
			sort.Strings(kids)
		}
		builtin = t
	})
	return builtin, loadErr
}

// MustBuiltin is Builtin for callers that cannot go on without it.
func MustBuiltin() *Table {
	t, err := Builtin()
	if err != nil {
		panic(err)
	}
	return t
}

func (t *Table) read(r io.Reader) error {
	cr := csv.NewReader(r)
	head, err := cr.Read()
	if err != nil {
		return err
	}
	if strings.Join(head, ",") != "code,name,level,parent_code" {
		return fmt.Errorf("unexpected header %v", head)
	}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		d := Division{Code: rec[0], Name: rec[1], Level: rec[2], Parent: rec[3]}
		if _, dup := t.byCode[d.Code]; dup {
			continue // counties appear in both files
		}
		t.byCode[d.Code] = d
		t.children[d.Parent] = append(t.children[d.Parent], d.Code)
	}
}

// Get returns the division with this code.
func (t *Table) Get(code string) (Division, bool) {
	d, ok := t.byCode[code]
	return d, ok
}

// Children returns the direct children of code in code order.
func (t *Table) Children(code string) []Division {
	kids := t.children[code]
	out := make([]Division, len(kids))
	for i, c := range kids {
		out[i] = t.byCode[c]
	}
	return out
}

// All returns every division, parents before children.
func (t *Table) All() []Division {
	out := make([]Division, 0, len(t.byCode))
	for _, d := range t.byCode {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool {
		if len(out[i].Code) != len(out[j].Code) {
			return len(out[i].Code) < len(out[j].Code)
		}
		return out[i].Code < out[j].Code
	})
	return out
}

// Villages returns the village-level divisions under code.
func (t *Table) Villages(code string) []Division {
	var out []Division
	var walk func(string)
	walk = func(c string) {
		for _, k := range t.children[c] {
			d := t.byCode[k]
			if d.Level == Village {
				out = append(out, d)
			} else {
				walk(k)
			}
		}
	}
	walk(code)
	return out
}

// Path returns the chain from the province down to code, for breadcrumbs.
func (t *Table) Path(code string) []Division {
	var out []Division
	for c := code; c != ""; {
		d, ok := t.byCode[c]
		if !ok {
			break
		}
		out = append([]Division{d}, out...)
		c = d.Parent
	}
	return out
}

// CountyOf returns the 6-digit county code of any code at county level or
// below.
func CountyOf(code string) string {
	if len(code) < 6 {
		return ""
	}
	return code[:6]
}

// Zhenxiong is the county the demo is built on (镇雄县, Zhaotong, Yunnan).
const Zhenxiong = "530627"
