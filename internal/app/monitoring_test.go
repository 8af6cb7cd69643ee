package app

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"tuopin/internal/auth"
	"tuopin/internal/division"
	"tuopin/internal/store"
)

func TestMonitoringAPI(t *testing.T) {
	base, s := server(t)
	admin := token(t, s, "admin", auth.CountyAdmin, division.Zhenxiong)
	hs, _, _ := s.ListHouseholds(context.Background(), auth.System("t"), store.HouseholdFilter{PageSize: 2, Status: "exited"})
	h, other := hs[0], hs[1]
	cadre := token(t, s, "cadre", auth.VillageCadre, h.VillageCode)
	viewer := token(t, s, "viewer", auth.Viewer, division.Zhenxiong)

	// A cadre's visit that sees a risk opens a lead.
	code, body := call(t, "POST", base+"/api/v1/visits", cadre, map[string]any{
		"household_id": h.ID, "date": "2026-11-10", "kind": "in_person", "facts": map[string]any{"risks": []string{"illness"}}})
	if code != 201 || body["visit"].(map[string]any)["case_id"] == nil {
		t.Fatalf("visit: %d %v", code, body)
	}
	id := strconv.FormatFloat(body["visit"].(map[string]any)["case_id"].(float64), 'f', 0, 64)
	code, c := call(t, "GET", base+"/api/v1/monitoring/cases/"+id, cadre, nil)
	if code != 200 || c["channel"] != "cadre_screening" || c["status"] != "lead" {
		t.Fatalf("case: %d %v", code, c)
	}
	// The viewer sees the case but not its risks.
	if code, vc := call(t, "GET", base+"/api/v1/monitoring/cases/"+id, viewer, nil); code != 200 || len(vc["risks"].([]any)) != 0 {
		t.Fatalf("viewer case: %d %v", code, vc)
	}
	act := base + "/api/v1/monitoring/cases/" + id + "/actions"
	code, c = call(t, "POST", act, cadre, map[string]any{"action": "check", "version": c["version"], "outcome": "at_risk", "category": "unstable", "evidence": "核查表"})
	if code != 422 || !strings.Contains(jsonText(c), "consent") {
		t.Fatalf("check without consent: %d %v", code, c)
	}
	code, c = call(t, "POST", act, cadre, map[string]any{"action": "check", "version": 1, "outcome": "at_risk", "category": "unstable", "consent": true,
		"evidence": "核查表、授权承诺书", "date": "2026-11-11"})
	if code != 200 || c["status"] != "checked" {
		t.Fatalf("check: %d %v", code, c)
	}
	code, c = call(t, "POST", act, cadre, map[string]any{"action": "notice", "version": c["version"], "evidence": "评议记录", "date": "2026-11-25"})
	if code != 200 || c["notice_end"] != "2026-11-30" {
		t.Fatalf("notice: %d %v", code, c)
	}
	code, ns := call(t, "GET", base+"/api/v1/monitoring/notices?area="+h.VillageCode, cadre, nil)
	if code != 200 || len(ns["items"].([]any)) != 1 {
		t.Fatalf("notices: %d %v", code, ns)
	}
	raw := jsonText(ns)
	full, _ := s.GetHousehold(context.Background(), auth.System("t"), h.ID)
	for _, secret := range []string{full.Members[0].IDNumber, full.Phone, full.BankAccount, "illness"} {
		if secret != "" && strings.Contains(raw, secret) {
			t.Fatalf("the notice shows %q", secret)
		}
	}
	// The notice runs until the 30th: the township cannot review yet.
	if code, _ := call(t, "POST", act, admin, map[string]any{"action": "township_review", "version": c["version"], "outcome": "approve", "evidence": "x"}); code != 422 {
		t.Fatalf("review during the notice: %d", code)
	}
	// Stability for elimination is shown month by month.
	code, st := call(t, "GET", base+"/api/v1/monitoring/cases/"+id+"/stability", cadre, nil)
	if code != 200 || len(st["items"].([]any)) != 6 {
		t.Fatalf("stability: %d %v", code, st)
	}

	// A department's file: the bad row is named and nothing is written.
	post := func(csv, query string) (int, map[string]any) {
		req, _ := http.NewRequest("POST", base+"/api/v1/monitoring/alerts?department=%E5%8E%BF%E5%8C%BB%E4%BF%9D%E5%B1%80"+query, strings.NewReader(csv))
		req.Header.Set("Authorization", "Bearer "+admin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		b, _ := io.ReadAll(resp.Body)
		json.Unmarshal(b, &out)
		return resp.StatusCode, out
	}
	otherFull, _ := s.GetHousehold(context.Background(), auth.System("t"), other.ID)
	good := otherFull.Members[0].IDNumber
	code, rep := post("身份证号,风险类型\n"+good+",因病\n11010519491231002X,火星\n", "")
	if code != 422 || len(rep["errors"].([]any)) != 1 || rep["errors"].([]any)[0].(map[string]any)["row"].(float64) != 3 {
		t.Fatalf("bad file: %d %v", code, rep)
	}
	code, rep = post("身份证号,风险类型\n"+good+",因病\n", "&dry_run=1")
	if code != 200 || rep["matched"].(float64) != 1 || rep["committed"] != false {
		t.Fatalf("dry run: %d %v", code, rep)
	}
	code, rep = post("身份证号,风险类型\n"+good+",因病\n", "")
	if code != 200 || rep["opened"].(float64) != 1 {
		t.Fatalf("import: %d %v", code, rep)
	}
	code, list := call(t, "GET", base+"/api/v1/monitoring/cases?status=lead", admin, nil)
	if code != 200 || len(list["items"].([]any)) != 1 || list["items"].([]any)[0].(map[string]any)["channel"] != "department" {
		t.Fatalf("leads: %d %v", code, list)
	}
	// A self-report taken by the county office; a second open case is refused.
	code, c = call(t, "POST", base+"/api/v1/monitoring/cases", admin, map[string]any{"household_id": other.ID, "channel": "self_report", "source": "12317"})
	if code != 409 {
		t.Fatalf("second case: %d %v", code, c)
	}
	// Out of scope is 404.
	far := ""
	for _, town := range division.MustBuiltin().Children(division.Zhenxiong) {
		if !strings.HasPrefix(h.VillageCode, town.Code) {
			far = town.Code
			break
		}
	}
	if code, _ := call(t, "GET", base+"/api/v1/monitoring/cases/"+id, token(t, s, "far", auth.TownshipOfficer, far), nil); code != 404 {
		t.Fatalf("out of scope: %d", code)
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
