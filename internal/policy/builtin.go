package policy

import (
	"embed"
	"encoding/json"
	"fmt"
	"sort"
)

//go:embed builtin/*.json
var builtinFiles embed.FS

// Builtin returns the rule sets tuopin ships (builtin/*.json), compiled
// so a bad shipped rule fails the tests, in code order.
func Builtin() ([]*RuleSet, error) {
	entries, err := builtinFiles.ReadDir("builtin")
	if err != nil {
		return nil, err
	}
	var out []*RuleSet
	for _, e := range entries {
		if e.Name() == "params.json" {
			continue
		}
		b, err := builtinFiles.ReadFile("builtin/" + e.Name())
		if err != nil {
			return nil, err
		}
		rs := &RuleSet{}
		if err := json.Unmarshal(b, rs); err != nil {
			return nil, fmt.Errorf("policy/builtin/%s: %w", e.Name(), err)
		}
		rs.Version = 1
		rs.CreatedBy = "tuopin"
		if _, err := rs.Compile(); err != nil {
			return nil, fmt.Errorf("policy/builtin/%s: %w", e.Name(), err)
		}
		out = append(out, rs)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Code < out[j].Code })
	return out, nil
}

// BuiltinParams returns the shipped parameter rows (builtin/params.json).
func BuiltinParams() ([]Param, error) {
	b, err := builtinFiles.ReadFile("builtin/params.json")
	if err != nil {
		return nil, err
	}
	var rows []Param
	if err := json.Unmarshal(b, &rows); err != nil {
		return nil, fmt.Errorf("policy/builtin/params.json: %w", err)
	}
	return rows, nil
}
