package app

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"tuopin/internal/assess"
	"tuopin/internal/auth"
	"tuopin/internal/division"
	"tuopin/internal/policy"
	"tuopin/internal/store"
)

func TestAssessmentAPI(t *testing.T) {
	base, s := server(t)
	admin := token(t, s, "admin", auth.CountyAdmin, division.Zhenxiong)
	if _, err := assess.New(s).Period(context.Background(), auth.System("test"), policy.Period{Year: 2026, Month: 11}, assess.Options{}); err != nil {
		t.Fatal(err)
	}
	hs, _, err := s.ListHouseholds(context.Background(), auth.System("test"), store.HouseholdFilter{PageSize: 1, Status: "exited"})
	if err != nil || len(hs) == 0 {
		t.Fatal(err)
	}
	h := hs[0]
	url := base + "/api/v1/households/" + strconv.FormatInt(h.ID, 10) + "/assessment"
	code, ex := call(t, "GET", url+"?period=2026-11", admin, nil)
	if code != 200 || len(ex["sets"].([]any)) != 5 {
		t.Fatalf("assessment: %d %v", code, ex)
	}
	exitRules := func(ex map[string]any) map[string]any {
		for _, set := range ex["sets"].([]any) {
			if set := set.(map[string]any); set["code"] == "exit-2016" {
				return set
			}
		}
		t.Fatal("no exit set")
		return nil
	}
	income := exitRules(ex)["rules"].([]any)[0].(map[string]any)
	if income["code"] != "income" || len(income["inputs"].([]any)) != 3 {
		t.Fatalf("income rule: %v", income)
	}
	// A new income through the API re-assesses the household at once.
	code, _ = call(t, "PUT", base+"/api/v1/households/"+strconv.FormatInt(h.ID, 10)+"/incomes/2025", admin, map[string]any{"wages": 100})
	if code != 200 {
		t.Fatalf("income: %d", code)
	}
	_, ex = call(t, "GET", url, admin, nil)
	if failed := exitRules(ex)["failed"].([]any); len(failed) == 0 || failed[0] != "income" {
		t.Fatalf("after a 1-yuan income the exit set fails %v", failed)
	}
	// Out of scope answers 404.
	otherTown := "530627001"
	if strings.HasPrefix(h.VillageCode, otherTown) {
		otherTown = "530627002"
	}
	other := token(t, s, "other", auth.Viewer, otherTown)
	if code, _ := call(t, "GET", url, other, nil); code != 404 {
		t.Fatalf("out of scope: %d", code)
	}

	// Preview: a bad expression is 400 with its position.
	code, body := call(t, "POST", base+"/api/v1/rules/preview", admin, map[string]any{"expression": "persons > 2 &&\n  per_capita_incme < 1"})
	if code != 400 {
		t.Fatalf("bad preview: %d", code)
	}
	f := body["error"].(map[string]any)["fields"].([]any)[0].(map[string]any)
	if f["key"] != "reason.cel_unknown_fact" || !strings.Contains(f["reason"].(string), "第2行第3列") || !strings.Contains(f["reason_en"].(string), "line 2, column 3") {
		t.Fatalf("error position: %v", f)
	}
	town := h.VillageCode[:9]
	viewer := token(t, s, "viewer", auth.Viewer, town)
	code, pv := call(t, "POST", base+"/api/v1/rules/preview", viewer, map[string]any{"expression": "status == 'exited'"})
	if code != 200 {
		t.Fatalf("preview: %d %v", code, pv)
	}
	_, total, _ := s.ListHouseholds(context.Background(), auth.System("t"), store.HouseholdFilter{Area: town, Status: "exited", PageSize: 1})
	if int(pv["matches"].(float64)) != total || len(pv["first"].([]any)) != min(total, 50) {
		t.Fatalf("preview matches %v, want %d", pv["matches"], total)
	}
	first := pv["first"].([]any)[0].(map[string]any)
	if name := first["head_name"].(string); !strings.HasSuffix(name, "*") {
		t.Fatalf("viewer sees the name %q", name)
	}

	// MPI and the exit roll-up.
	code, m := call(t, "GET", base+"/api/v1/mpi?area=530627&k=1/3", admin, nil)
	if code != 200 || m["H"] == nil || m["A"] == nil || m["M0"] == nil || len(m["sub_areas"].([]any)) != 30 {
		t.Fatalf("mpi: %d %v", code, m)
	}
	_, m2 := call(t, "GET", base+"/api/v1/mpi?area=530627&k=0.2", admin, nil)
	if m2["H"].(float64) <= m["H"].(float64) {
		t.Fatalf("a lower cutoff should find more poor: %v vs %v", m2["H"], m["H"])
	}
	if code, _ := call(t, "GET", base+"/api/v1/mpi?area=530627&k=abc", admin, nil); code != 422 {
		t.Fatalf("bad k: %d", code)
	}
	code, rep := call(t, "GET", base+"/api/v1/exit?area=530627", admin, nil)
	if code != 200 || len(rep["rows"].([]any)) != 30 || rep["area"].(map[string]any)["wrongful_exit"] != nil {
		t.Fatalf("exit report: %d %v", code, rep["area"])
	}

	// Rule sets: only the county office saves; a change is a new version.
	code, sets := call(t, "GET", base+"/api/v1/rulesets", viewer, nil)
	if code != 200 || int(sets["total"].(float64)) != 5 {
		t.Fatalf("rule sets: %d %v", code, sets["total"])
	}
	var exit map[string]any
	for _, rs := range sets["items"].([]any) {
		if rs := rs.(map[string]any); rs["code"] == "exit-2016" {
			exit = rs
		}
	}
	delete(exit, "id")
	delete(exit, "version")
	delete(exit, "used")
	delete(exit, "created_at")
	delete(exit, "created_by")
	exit["rules"].([]any)[7].(map[string]any)["expression"] = "water_litres >= 20"
	if code, _ := call(t, "POST", base+"/api/v1/rulesets", viewer, exit); code != 403 {
		t.Fatalf("viewer saved rules: %d", code)
	}
	code, saved := call(t, "POST", base+"/api/v1/rulesets", admin, exit)
	if code != 201 || saved["version"].(float64) != 2 {
		t.Fatalf("save: %d %v", code, saved)
	}
	exit["rules"].([]any)[7].(map[string]any)["expression"] = "water_litres >= 'twenty'"
	code, body = call(t, "POST", base+"/api/v1/rulesets", admin, exit)
	if code != 422 || body["error"].(map[string]any)["fields"].([]any)[0].(map[string]any)["field"] != "rules[7].expression" {
		t.Fatalf("bad rule: %d %v", code, body)
	}
	code, facts := call(t, "GET", base+"/api/v1/facts", viewer, nil)
	if code != 200 || int(facts["total"].(float64)) != len(policy.Facts) {
		t.Fatalf("facts: %d", code)
	}
}

func TestVisitAPI(t *testing.T) {
	base, s := server(t)
	admin := token(t, s, "admin", auth.CountyAdmin, division.Zhenxiong)
	hs, _, _ := s.ListHouseholds(context.Background(), auth.System("t"), store.HouseholdFilter{PageSize: 1, Status: "exited"})
	h := hs[0]
	// A visit that finds the house dangerous re-assesses at once: the
	// answer carries the housing rule failing.
	code, body := call(t, "POST", base+"/api/v1/visits", admin, map[string]any{
		"household_id": h.ID, "date": "2026-11-28", "kind": "in_person", "notes": "房屋出现裂缝",
		"facts": map[string]any{"housing_grade": "D", "relocation": "none", "risks": []string{"disaster"}}})
	if code != 201 {
		t.Fatalf("visit: %d %v", code, body)
	}
	found := false
	for _, set := range body["assessment"].(map[string]any)["sets"].([]any) {
		set := set.(map[string]any)
		if set["code"] == "exit-2016" {
			for _, f := range set["failed"].([]any) {
				found = found || f == "housing"
			}
		}
	}
	if !found {
		t.Fatalf("re-assessment does not show the housing failure: %v", body["assessment"])
	}
	code, body = call(t, "POST", base+"/api/v1/visits", admin, map[string]any{"household_id": h.ID, "date": "2026-11-28", "kind": "fax"})
	if code != 422 || body["error"].(map[string]any)["fields"].([]any)[0].(map[string]any)["field"] != "kind" {
		t.Fatalf("bad visit: %d %v", code, body)
	}
	// The visit opened a housing shortfall; two people plan, resolve and
	// verify it; the resolver may not verify.
	code, items := call(t, "GET", base+"/api/v1/households/"+strconv.FormatInt(h.ID, 10)+"/shortfalls", admin, nil)
	var item map[string]any
	for _, it := range items["items"].([]any) {
		if it := it.(map[string]any); it["rule_code"] == "housing" {
			item = it
		}
	}
	if code != 200 || item == nil || item["status"] != "open" {
		t.Fatalf("shortfalls: %d %v", code, items)
	}
	act := base + "/api/v1/shortfalls/" + strconv.FormatFloat(item["id"].(float64), 'f', 0, 64) + "/actions"
	cadre := token(t, s, "cadre", auth.VillageCadre, h.VillageCode)
	verifier := token(t, s, "verifier", auth.Verifier, h.VillageCode[:9])
	_, item = call(t, "POST", act, cadre, map[string]any{"action": "plan", "version": item["version"], "category": "housing", "unit": "镇住建所", "cost": 1500000})
	_, item = call(t, "POST", act, cadre, map[string]any{"action": "resolve", "version": item["version"], "evidence": "验收照片"})
	if item["status"] != "resolved" {
		t.Fatalf("resolve: %v", item)
	}
	if code, _ := call(t, "POST", act, cadre, map[string]any{"action": "verify", "version": item["version"]}); code != 403 {
		t.Fatalf("resolver verified: %d", code)
	}
	if code, item = call(t, "POST", act, verifier, map[string]any{"action": "verify", "version": item["version"]}); code != 200 || item["status"] != "verified" {
		t.Fatalf("verify: %d %v", code, item)
	}
	code, board := call(t, "GET", base+"/api/v1/board?area="+h.VillageCode, admin, nil)
	if code != 200 || board["period"] != "2026-11" || len(board["totals"].([]any)) == 0 {
		t.Fatalf("board: %d %v", code, board)
	}
	// A verifier draws a sample of the village and checks a household.
	code, drawn := call(t, "POST", base+"/api/v1/samples", verifier, map[string]any{"period": "2026-11", "area": h.VillageCode, "per_village": 2, "seed": 3})
	if code != 201 || drawn["total"].(float64) != 2 {
		t.Fatalf("draw: %d %v", code, drawn)
	}
	first := drawn["items"].([]any)[0].(map[string]any)
	code, checked := call(t, "POST", base+"/api/v1/samples/"+strconv.FormatFloat(first["id"].(float64), 'f', 0, 64)+"/check", verifier,
		map[string]any{"facts": map[string]any{"water_litres": 10}, "note": "缺水"})
	if code != 200 || len(checked["failed"].([]any)) == 0 {
		t.Fatalf("check: %d %v", code, checked)
	}
	if code, _ := call(t, "POST", base+"/api/v1/samples", cadre, map[string]any{"period": "2026-11", "area": h.VillageCode, "per_village": 2}); code != 403 {
		t.Fatalf("cadre drew a sample: %d", code)
	}
	code, list := call(t, "GET", base+"/api/v1/households/"+strconv.FormatInt(h.ID, 10)+"/visits", admin, nil)
	if code != 200 || int(list["total"].(float64)) != 1 {
		t.Fatalf("visits: %d %v", code, list)
	}
	code, cov := call(t, "GET", base+"/api/v1/coverage?area="+h.VillageCode[:9], admin, nil)
	if code != 200 || cov["period"] != "2026-11" || cov["total"].(map[string]any)["households"].(float64) == 0 {
		t.Fatalf("coverage: %d %v", code, cov)
	}
}
