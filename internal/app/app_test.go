package app

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"tuopin/internal/auth"
	"tuopin/internal/demo"
	"tuopin/internal/division"
	"tuopin/internal/store"
)

var now = time.Date(2026, 11, 29, 9, 0, 0, 0, time.UTC)

// server runs the real program in-process on a free port with a small
// demo county, and returns its base URL and store.
func server(t *testing.T) (string, *store.Store) {
	t.Helper()
	base, s := serverEmpty(t)
	if _, err := demo.Load(context.Background(), s, demo.Options{Households: 600, Seed: 2}); err != nil {
		t.Fatal(err)
	}
	return base, s
}

// serverEmpty runs the program on an empty database.
func serverEmpty(t *testing.T) (string, *store.Store) {
	t.Helper()
	m := &Main{}
	if err := m.Run(context.Background(), Config{DB: filepath.Join(t.TempDir(), "app.db"), Addr: "127.0.0.1:0", Now: func() time.Time { return now }, Migrate: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return "http://" + m.Addr, m.Store
}

func token(t *testing.T, s *store.Store, name, role, area string) string {
	t.Helper()
	if _, err := s.AddUser(context.Background(), name, "password-"+name, role, area); err != nil {
		t.Fatal(err)
	}
	tok, err := s.CreateToken(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func call(t *testing.T, method, url, tok string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, rd)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestAPI(t *testing.T) {
	base, s := server(t)
	tab := division.MustBuiltin()
	towns := tab.Children(division.Zhenxiong)
	admin := token(t, s, "admin", auth.CountyAdmin, division.Zhenxiong)

	if code, _ := call(t, "GET", base+"/healthz", "", nil); code != 200 {
		t.Fatalf("healthz %d", code)
	}
	for _, path := range []string{"/api/v1/households", "/api/v1/me", "/api/v1/divisions/530627/children", "/api/v1/cadres"} {
		if code, _ := call(t, "GET", base+path, "", nil); code != 401 {
			t.Errorf("%s without credentials: %d", path, code)
		}
		if code, _ := call(t, "GET", base+path, "tpt_forged", nil); code != 401 {
			t.Errorf("%s with a forged token: %d", path, code)
		}
	}
	code, body := call(t, "GET", base+"/api/v1/divisions/530627/children", admin, nil)
	if code != 200 || body["total"].(float64) != 30 {
		t.Fatalf("children: %d %v", code, body["total"])
	}
	code, body = call(t, "GET", base+"/api/v1/households?area=530627&page=2", admin, nil)
	if code != 200 || body["total"].(float64) != 600 || len(body["items"].([]any)) != 50 {
		t.Fatalf("list: %d %v", code, body["total"])
	}
	first := body["items"].([]any)[0].(map[string]any)
	id := int64(first["id"].(float64))
	village := first["village_code"].(string)

	// A township officer of another township gets 404 for it.
	var other division.Division
	for _, tw := range towns {
		if !strings.HasPrefix(village, tw.Code) {
			other = tw
			break
		}
	}
	officer := token(t, s, "officer", auth.TownshipOfficer, other.Code)
	if code, _ := call(t, "GET", base+"/api/v1/households/"+strconv.FormatInt(id, 10), officer, nil); code != 404 {
		t.Fatalf("out-of-scope household: %d", code)
	}
	if code, _ := call(t, "GET", base+"/api/v1/households/"+strconv.FormatInt(id, 10)+"/members", officer, nil); code != 404 {
		t.Fatalf("out-of-scope members: %d", code)
	}
	code, body = call(t, "GET", base+"/api/v1/households?area="+village, officer, nil)
	if code != 200 || body["total"].(float64) != 0 {
		t.Fatalf("officer listing a foreign village: %v", body["total"])
	}
	code, body = call(t, "GET", base+"/api/v1/divisions/530627/children", officer, nil)
	if code != 200 || body["total"].(float64) != 1 {
		t.Fatalf("officer sees %v townships", body["total"])
	}

	// Read, update with the version, then a stale update gets 409.
	code, hh := call(t, "GET", base+"/api/v1/households/"+strconv.FormatInt(id, 10), admin, nil)
	if code != 200 || len(hh["members"].([]any)) == 0 {
		t.Fatalf("get: %d", code)
	}
	hh["housing_grade"] = "C"
	code, upd := call(t, "PUT", base+"/api/v1/households/"+strconv.FormatInt(id, 10), admin, stripRead(hh))
	if code != 200 || upd["version"].(float64) != 2 {
		t.Fatalf("update: %d %v", code, upd)
	}
	hh["housing_grade"] = "D"
	code, body = call(t, "PUT", base+"/api/v1/households/"+strconv.FormatInt(id, 10), admin, stripRead(hh))
	if code != 409 {
		t.Fatalf("stale update: %d %v", code, body)
	}
	errBody := body["error"].(map[string]any)
	if !strings.Contains(errBody["message_zh"].(string), "修改") || !strings.Contains(errBody["message_en"].(string), "changed") {
		t.Fatalf("conflict message: %v", errBody)
	}
	_, after := call(t, "GET", base+"/api/v1/households/"+strconv.FormatInt(id, 10), admin, nil)
	if after["housing_grade"] != "C" {
		t.Fatalf("stale update overwrote: %v", after["housing_grade"])
	}

	// Invalid create: 422 naming the fields, in both languages.
	code, body = call(t, "POST", base+"/api/v1/households", admin, map[string]any{"number": "X1", "village_code": "530627999999", "head_name": ""})
	if code != 422 {
		t.Fatalf("invalid create: %d", code)
	}
	fields := body["error"].(map[string]any)["fields"].([]any)
	named := map[string]bool{}
	for _, f := range fields {
		named[f.(map[string]any)["field"].(string)] = true
	}
	if !named["village_code"] || !named["head_name"] || !named["housing_grade"] {
		t.Fatalf("fields: %v", named)
	}
	if code, _ := call(t, "POST", base+"/api/v1/households", admin, map[string]any{"nonsense": 1}); code != 422 {
		t.Fatalf("unknown field: %d", code)
	}

	// Viewer: masked ID and phone; may not write.
	viewer := token(t, s, "viewer", auth.Viewer, division.Zhenxiong)
	_, vh := call(t, "GET", base+"/api/v1/households/"+strconv.FormatInt(id, 10), viewer, nil)
	idNum := vh["members"].([]any)[0].(map[string]any)["id_number"].(string)
	if !strings.Contains(idNum, "****") || !strings.Contains(vh["phone"].(string), "****") {
		t.Fatalf("viewer sees %s %s", idNum, vh["phone"])
	}
	if code, _ := call(t, "PUT", base+"/api/v1/households/"+strconv.FormatInt(id, 10), viewer, stripRead(after)); code != 403 {
		t.Fatalf("viewer update: %d", code)
	}

	// Cadres and pairings.
	code, body = call(t, "GET", base+"/api/v1/cadres?area="+village[:9], admin, nil)
	if code != 200 || body["total"].(float64) == 0 {
		t.Fatalf("cadres: %d %v", code, body["total"])
	}
	cadre := body["items"].([]any)[0].(map[string]any)
	code, _ = call(t, "POST", base+"/api/v1/pairings", admin, map[string]any{"household_id": id, "cadre_id": cadre["id"], "start_date": "2026-11-01"})
	if code != 201 {
		t.Fatalf("pair: %d", code)
	}
	code, body = call(t, "GET", base+"/api/v1/households/"+strconv.FormatInt(id, 10)+"/pairings", admin, nil)
	if code != 200 || body["total"].(float64) < 2 {
		t.Fatalf("pairings: %v", body)
	}
	code, body = call(t, "GET", base+"/api/v1/households/"+strconv.FormatInt(id, 10)+"/history", admin, nil)
	if code != 200 || body["total"].(float64) < 2 {
		t.Fatalf("history: %v", body["total"])
	}
}

// stripRead drops the read-only fields the API does not accept back.
func stripRead(h map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range h {
		switch k {
		case "members", "incomes", "size":
			continue
		}
		out[k] = v
	}
	return out
}

func TestPagesSignInAndScope(t *testing.T) {
	base, s := server(t)
	if _, err := s.AddUser(context.Background(), "cadre", "password-cadre", auth.VillageCadre, "530627001001"); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(base + "/households")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `name="password"`) {
		t.Fatal("unauthenticated page did not lead to sign-in")
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
		t.Fatalf("CSP: %q", csp)
	}
	resp, err = c.PostForm(base+"/login", url.Values{"username": {"cadre"}, "password": {"wrong-password"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 401 || !strings.Contains(string(b), "用户名或密码错误") {
		t.Fatalf("bad login: %d", resp.StatusCode)
	}
	resp, err = c.PostForm(base+"/login", url.Values{"username": {"cadre"}, "password": {"password-cadre"}, "next": {"/households"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(b)
	if resp.StatusCode != 200 || !strings.Contains(page, "贫困户") && !strings.Contains(page, "户编号") {
		t.Fatalf("households page: %d", resp.StatusCode)
	}
	// Only the cadre's village appears.
	if strings.Contains(page, "530627002") {
		t.Fatal("page shows households of another township")
	}
	resp, _ = c.Get(base + "/households?area=530627002001")
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Fatalf("out-of-scope page: %d", resp.StatusCode)
	}
	resp, _ = c.Get(base + "/households?lang=en")
	b, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), "Household number") && !strings.Contains(string(b), "household number") {
		t.Fatal("English switch did not translate the page")
	}
	// Cross-site form posts are refused.
	req, _ := http.NewRequest("POST", base+"/logout", nil)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, _ = c.Do(req)
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Fatalf("cross-site post: %d", resp.StatusCode)
	}
}
