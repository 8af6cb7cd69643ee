package i18n

import (
	"strings"
	"testing"
)

func TestCataloguesHaveTheSameKeys(t *testing.T) {
	zh, en := Keys(ZH), Keys(EN)
	missing := func(a, b []string) []string {
		set := map[string]bool{}
		for _, k := range b {
			set[k] = true
		}
		var out []string
		for _, k := range a {
			if !set[k] {
				out = append(out, k)
			}
		}
		return out
	}
	if m := missing(zh, en); len(m) > 0 {
		t.Errorf("keys in zh-CN but not en: %s", strings.Join(m, ", "))
	}
	if m := missing(en, zh); len(m) > 0 {
		t.Errorf("keys in en but not zh-CN: %s", strings.Join(m, ", "))
	}
}

func TestPlaceholdersMatch(t *testing.T) {
	for _, k := range Keys(ZH) {
		zh := catalogues[ZH][k]
		en := catalogues[EN][k]
		for _, part := range strings.Split(zh, "{")[1:] {
			name := strings.SplitN(part, "}", 2)[0]
			if !strings.Contains(en, "{"+name+"}") {
				t.Errorf("%s: en lacks {%s}", k, name)
			}
		}
	}
}

func TestTranslateWithArgs(t *testing.T) {
	m := M("import.error.row", "row", "7", "field", "@field.id_number", "reason", "x")
	if got := m.In(EN); !strings.Contains(got, "7") || !strings.Contains(got, "ID number") {
		t.Fatalf("en: %q", got)
	}
	if got := m.In(ZH); !strings.Contains(got, "证件号码") {
		t.Fatalf("zh: %q", got)
	}
	if Lang("en-US,en;q=0.9") != EN || Lang("zh-CN") != ZH || Lang("") != ZH {
		t.Fatal("Lang")
	}
	if code, ok := Reverse("code.cause.", "因病"); !ok || code != "illness" {
		t.Fatalf("reverse: %q %v", code, ok)
	}
}
