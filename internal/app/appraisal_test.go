package app

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"tuopin/internal/auth"
	"tuopin/internal/demo"
	"tuopin/internal/division"
	"tuopin/internal/store"
)

// TestScorecards checks the scorecards of a county with three months of
// history: every cadre with households has a card, the ranks hold, and
// every count on a card equals the records its drill-down lists.
func TestScorecards(t *testing.T) {
	base, s := serverEmpty(t)
	if _, err := demo.Load(context.Background(), s, demo.Options{Households: 500, Seed: 5, Months: 3}); err != nil {
		t.Fatal(err)
	}
	admin := token(t, s, "admin", auth.CountyAdmin, division.Zhenxiong)
	code, body := call(t, "GET", base+"/api/v1/scorecards?period=2026-10", admin, nil)
	if code != 200 {
		t.Fatalf("scorecards: %d %v", code, body)
	}
	cards := body["cards"].([]any)
	if len(cards) < 50 || body["formula"].(map[string]any)["version"].(float64) != 1 {
		t.Fatalf("cards: %d formula %v", len(cards), body["formula"])
	}
	prev := 101.0
	checked := 0
	for _, c := range cards {
		card := c.(map[string]any)
		score := card["score"].(float64)
		if score > prev || score < 0 || score > 100 {
			t.Fatalf("scores out of order or range: %v after %v", score, prev)
		}
		prev = score
		if card["rank_township"].(float64) < 1 || card["rank_unit"].(float64) < 1 {
			t.Fatalf("ranks: %v", card)
		}
		if checked >= 12 {
			continue
		}
		checked++
		// Drill down: each metric's numerator and denominator are the
		// records listed.
		id := strconv.FormatFloat(card["cadre_id"].(float64), 'f', 0, 64)
		for _, m := range card["metrics"].([]any) {
			m := m.(map[string]any)
			code, recs := call(t, "GET", base+"/api/v1/scorecards/"+id+"/records?period=2026-10&metric="+m["code"].(string), admin, nil)
			if code != 200 {
				t.Fatalf("records: %d %v", code, recs)
			}
			var num int
			items := recs["items"].([]any)
			for _, r := range items {
				if r.(map[string]any)["counts"].(bool) {
					num++
				}
			}
			if float64(len(items)) != m["denominator"].(float64) || float64(num) != m["numerator"].(float64) {
				t.Fatalf("cadre %s metric %s: card %v/%v, records %d/%d", id, m["code"], m["numerator"], m["denominator"], num, len(items))
			}
		}
	}
	// A past month gives the same cards again.
	_, again := call(t, "GET", base+"/api/v1/scorecards?period=2026-10", admin, nil)
	if jsonText(again) != jsonText(body) {
		t.Fatal("the same month and formula gave different scorecards")
	}
	// A new formula version needs weights summing to 100 and the county's
	// role; the old version stays reproducible.
	cadre := token(t, s, "cadre", auth.VillageCadre, division.MustBuiltin().Villages(division.Zhenxiong)[0].Code)
	if code, _ := call(t, "POST", base+"/api/v1/scorecard-formula", cadre, map[string]any{"weights": map[string]int{"coverage": 100}, "timely_day": 20}); code != 403 {
		t.Fatalf("cadre saved a formula: %d", code)
	}
	if code, _ := call(t, "POST", base+"/api/v1/scorecard-formula", admin, map[string]any{"weights": map[string]int{"coverage": 90}, "timely_day": 20}); code != 422 {
		t.Fatalf("weights not summing to 100: %d", code)
	}
	if code, f := call(t, "POST", base+"/api/v1/scorecard-formula", admin, map[string]any{"weights": map[string]int{"coverage": 100}, "timely_day": 20}); code != 201 || f["version"].(float64) != 2 {
		t.Fatalf("new formula: %d %v", code, f)
	}
	_, v1 := call(t, "GET", base+"/api/v1/scorecards?period=2026-10&version=1", admin, nil)
	if jsonText(v1) != jsonText(body) {
		t.Fatal("version 1 no longer gives the same scorecards")
	}
	_, v2 := call(t, "GET", base+"/api/v1/scorecards?period=2026-10", admin, nil)
	if v2["formula"].(map[string]any)["version"].(float64) != 2 {
		t.Fatalf("latest formula: %v", v2["formula"])
	}
}

func TestAccountabilityAPI(t *testing.T) {
	base, s := serverEmpty(t)
	if _, err := demo.Load(context.Background(), s, demo.Options{Households: 400, Seed: 6, Months: 3}); err != nil {
		t.Fatal(err)
	}
	inspector := token(t, s, "jw", auth.Inspector, division.Zhenxiong)
	admin := token(t, s, "admin", auth.CountyAdmin, division.Zhenxiong)
	viewer := token(t, s, "viewer", auth.Viewer, division.Zhenxiong)
	if code, _ := call(t, "POST", base+"/api/v1/accountability/scan", viewer, map[string]any{"period": "2026-11"}); code != 403 {
		t.Fatalf("a viewer scanned: %d", code)
	}
	code, body := call(t, "POST", base+"/api/v1/accountability/scan", inspector, map[string]any{"period": "2026-11"})
	if code != 200 || len(body["items"].([]any)) == 0 {
		t.Fatalf("scan: %d %v", code, body)
	}
	rules := map[string]bool{}
	for _, it := range body["items"].([]any) {
		rules[it.(map[string]any)["rule"].(string)] = true
	}
	// The demo county misses visits two months running somewhere.
	if !rules["missed_visits"] {
		t.Fatalf("rules found: %v", rules)
	}
	first := body["items"].([]any)[0].(map[string]any)
	id := strconv.FormatFloat(first["id"].(float64), 'f', 0, 64)
	if _, again := call(t, "POST", base+"/api/v1/accountability/scan", inspector, map[string]any{"period": "2026-11"}); len(again["items"].([]any)) != 0 {
		t.Fatalf("a second scan opened cases again")
	}
	act := base + "/api/v1/accountability/" + id + "/actions"
	_, x := call(t, "POST", act, inspector, map[string]any{"action": "investigate", "version": 1, "findings": "核实属实"})
	if x["status"] != "investigating" {
		t.Fatalf("investigate: %v", x)
	}
	code, x = call(t, "POST", base+"/api/v1/accountability/"+id+"/tolerance", admin, map[string]any{"action": "file", "facts": "山区道路中断", "distinction": "development", "deciding_body": "县纪委监委"})
	if code != 200 || len(x["tolerance"].([]any)) != 1 {
		t.Fatalf("file: %d %v", code, x)
	}
	req := x["tolerance"].([]any)[0].(map[string]any)
	if code, _ := call(t, "POST", base+"/api/v1/accountability/"+id+"/tolerance", admin, map[string]any{"action": "decide", "request_id": req["id"], "version": 1, "outcome": "lighter", "correction_plan": "补走访"}); code != 403 {
		t.Fatalf("the county office decided tolerance: %d", code)
	}
	if code, x = call(t, "POST", base+"/api/v1/accountability/"+id+"/tolerance", inspector, map[string]any{"action": "decide", "request_id": req["id"], "version": 1, "outcome": "lighter", "correction_plan": "补走访"}); code != 200 {
		t.Fatalf("decide tolerance: %d %v", code, x)
	}
	if code, x = call(t, "POST", act, inspector, map[string]any{"action": "decide", "version": 2, "decision": "reminder", "evidence": "提醒谈话记录"}); code != 200 || x["decision"] != "reminder" {
		t.Fatalf("decide: %d %v", code, x)
	}
}

func TestSelfSurvey(t *testing.T) {
	base, s := server(t)
	hs, _, _ := s.ListHouseholds(context.Background(), auth.System("t"), store.HouseholdFilter{PageSize: 1})
	h := hs[0]
	cadre := token(t, s, "cadre", auth.VillageCadre, h.VillageCode)
	verifier := token(t, s, "verifier", auth.Verifier, h.VillageCode[:9])
	if code, _ := call(t, "POST", base+"/api/v1/households/"+strconv.FormatInt(h.ID, 10)+"/survey-link", cadre, map[string]any{}); code != 403 {
		t.Fatalf("the cadre the survey judges made a link: %d", code)
	}
	code, link := call(t, "POST", base+"/api/v1/households/"+strconv.FormatInt(h.ID, 10)+"/survey-link", verifier, map[string]any{"period": "2026-11"})
	if code != 201 {
		t.Fatalf("link: %d %v", code, link)
	}
	path := base + link["path"].(string)
	// No sign-in: the household opens the link and answers once.
	resp, err := http.Get(path)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("open the link: %v %v", resp, err)
	}
	resp.Body.Close()
	form := url.Values{"policies": {"yes"}, "measures": {"yes"}, "exit_result": {"yes"}, "cadre": {"no"}, "comment": {"干部来得少"}}
	post := func() int {
		req, _ := http.NewRequest("POST", path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post(); code != 200 {
		t.Fatalf("answer: %d", code)
	}
	if code := post(); code != 404 {
		t.Fatalf("a second answer through the same link: %d", code)
	}
	// The answer is a survey of the household, by itself, not approving
	// (it does not recognise the cadre's help).
	counts, err := s.SurveyCounts(context.Background(), h.VillageCode, "2026-11")
	if err != nil || len(counts) != 1 || counts[0].Surveyed != 1 || counts[0].Approves != 0 {
		t.Fatalf("survey counts: %+v %v", counts, err)
	}
}

func TestAppraisalPages(t *testing.T) {
	base, s := serverEmpty(t)
	if _, err := demo.Load(context.Background(), s, demo.Options{Households: 300, Seed: 8, Months: 2}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct{ name, role string }{{"jw", auth.Inspector}, {"viewer", auth.Viewer}} {
		if _, err := s.AddUser(context.Background(), u.name, "password-"+u.name, u.role, division.Zhenxiong); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"/scorecards?period=2026-10", "/scorecards/lists?period=2026-10", "/accountability", "/integrity?period=2026-11"} {
		if code := statusAs(t, base, "jw", p); code != 200 {
			t.Fatalf("%s as the inspector: %d", p, code)
		}
	}
	for _, p := range []string{"/accountability", "/integrity"} {
		if code := statusAs(t, base, "viewer", p); code != 403 {
			t.Fatalf("%s as a viewer: %d", p, code)
		}
	}
}

func TestScorecardHistory(t *testing.T) {
	base, s := serverEmpty(t)
	if _, err := demo.Load(context.Background(), s, demo.Options{Households: 300, Seed: 9, Months: 3}); err != nil {
		t.Fatal(err)
	}
	admin := token(t, s, "admin", auth.CountyAdmin, division.Zhenxiong)
	_, body := call(t, "GET", base+"/api/v1/scorecards?period=2026-10", admin, nil)
	card := body["cards"].([]any)[0].(map[string]any)
	id := strconv.FormatFloat(card["cadre_id"].(float64), 'f', 0, 64)
	code, hist := call(t, "GET", base+"/api/v1/scorecards/"+id+"/history", admin, nil)
	if code != 200 || len(hist["items"].([]any)) < 3 {
		t.Fatalf("history: %d %v", code, hist)
	}
	for _, m := range hist["items"].([]any) {
		m := m.(map[string]any)
		if m["period"] == "2026-10" && m["card"].(map[string]any)["score"] != card["score"] {
			t.Fatalf("October in the history %v, on the scorecards %v", m["card"], card)
		}
	}
	if statusAs(t, base, "nobody", "/scorecards/"+id+"/history.xlsx") != http.StatusSeeOther {
		t.Fatal("the export answered without signing in")
	}
}
