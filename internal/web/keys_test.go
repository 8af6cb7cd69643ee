package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"tuopin/internal/i18n"
)

// TestEveryKeyIsTranslated reads the templates and the page code for the
// message keys they use and fails when a key is missing from either
// catalogue, so no page can show a raw key in Chinese or in English.
func TestEveryKeyIsTranslated(t *testing.T) {
	patterns := []*regexp.Regexp{
		regexp.MustCompile(`\bt (?:\$lang|\.Lang|\.) "([a-z0-9_.]+)"`),
		regexp.MustCompile(`v\.t\("([a-z0-9_.]+)"`),
		regexp.MustCompile(`i18n\.T\([^,]+, "([a-z0-9_.]+)"`),
	}
	codes := regexp.MustCompile(`code \$lang "(\w+)" "(\w+)"`)
	keys := map[string]string{}
	scan := func(name string, b []byte) {
		for _, p := range patterns {
			for _, m := range p.FindAllSubmatch(b, -1) {
				keys[string(m[1])] = name
			}
		}
		for _, m := range codes.FindAllSubmatch(b, -1) {
			keys["code."+string(m[1])+"."+string(m[2])] = name
		}
	}
	if err := fs.WalkDir(templateFS, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := templateFS.ReadFile(p)
		scan(p, b)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		scan(f, b)
	}
	if len(keys) < 100 {
		t.Fatalf("found only %d keys; the patterns no longer match the templates", len(keys))
	}
	for key, where := range keys {
		if key[len(key)-1] == '.' {
			continue // a prefix the code completes
		}
		for _, lang := range []string{i18n.ZH, i18n.EN} {
			if i18n.T(lang, key) == key {
				t.Errorf("%s: key %q has no %s text", where, key, lang)
			}
		}
	}
}
