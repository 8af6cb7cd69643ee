// Package i18n translates message keys into Chinese (zh-CN, the default)
// and English. Business logic carries keys and arguments; only the edges
// (CLI, API, web pages, import reports) turn them into text.
//
// A small flat catalogue is used instead of go-i18n: the product has two
// languages, no plural forms in Chinese, and a test keeps both files in
// step, so the extra dependency buys nothing yet.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Languages the catalogue holds.
const (
	ZH = "zh-CN"
	EN = "en"
)

//go:embed locales/*.json
var files embed.FS

var catalogues = map[string]map[string]string{}

func init() {
	for _, lang := range []string{ZH, EN} {
		b, err := files.ReadFile("locales/" + lang + ".json")
		if err != nil {
			panic(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic(fmt.Sprintf("locales/%s.json: %v", lang, err))
		}
		catalogues[lang] = m
	}
}

// Msg is a translatable message: a key and named arguments that replace
// {name} placeholders in the text.
type Msg struct {
	Key  string            `json:"key"`
	Args map[string]string `json:"args,omitempty"`
}

// M builds a Msg from a key and alternating name, value arguments.
func M(key string, kv ...string) Msg {
	m := Msg{Key: key}
	if len(kv) > 0 {
		m.Args = make(map[string]string, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			m.Args[kv[i]] = kv[i+1]
		}
	}
	return m
}

// Lang picks the supported language for an Accept-Language value or a
// ?lang= switch; Chinese unless English is asked for.
func Lang(s string) string {
	if strings.HasPrefix(strings.ToLower(strings.TrimSpace(s)), "en") {
		return EN
	}
	return ZH
}

// T translates key in lang. A missing key returns the key itself, so a
// gap shows up in the page instead of an empty string.
func T(lang, key string, kv ...string) string {
	return M(key, kv...).In(lang)
}

// In translates m into lang.
func (m Msg) In(lang string) string {
	cat := catalogues[lang]
	if cat == nil {
		cat = catalogues[ZH]
	}
	text, ok := cat[m.Key]
	if !ok {
		return m.Key
	}
	if len(m.Args) == 0 {
		return text
	}
	// Arguments that are themselves keys (prefixed "@") are translated
	// first, so a field name in an error reads in the same language.
	pairs := make([]string, 0, 2*len(m.Args))
	for k, v := range m.Args {
		if strings.HasPrefix(v, "@") {
			v = T(lang, v[1:])
		}
		pairs = append(pairs, "{"+k+"}", v)
	}
	return strings.NewReplacer(pairs...).Replace(text)
}

// Both renders m as "中文 / English", the form import reports use so that
// one file serves both readers.
func (m Msg) Both() string {
	zh, en := m.In(ZH), m.In(EN)
	if zh == en {
		return zh
	}
	return zh + " / " + en
}

// Keys lists the keys of lang in order; tests compare the catalogues.
func Keys(lang string) []string {
	var out []string
	for k := range catalogues[lang] {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Reverse returns the keys under prefix whose text, in either language,
// equals text. The importer uses it to accept "因病" or "illness" for the
// code "illness".
func Reverse(prefix, text string) (string, bool) {
	text = strings.TrimSpace(text)
	for _, lang := range []string{ZH, EN} {
		for k, v := range catalogues[lang] {
			if strings.HasPrefix(k, prefix) && strings.EqualFold(v, text) {
				return strings.TrimPrefix(k, prefix), true
			}
		}
	}
	return "", false
}
