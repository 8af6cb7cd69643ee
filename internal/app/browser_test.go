package app

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tuopin/internal/auth"
	"tuopin/internal/demo"
	"tuopin/internal/i18n"
	"tuopin/internal/importer"
	"tuopin/internal/registry"
	"tuopin/internal/store"
)

// chrome finds Debian's chromium (or another Chrome) for the browser
// tests; TUOPIN_CHROME names one explicitly.
func chrome() string {
	if p := os.Getenv("TUOPIN_CHROME"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// TestBrowser drives the pages in a real browser: sign in, go from the
// board to a village to a household, record a visit on a 360×740 phone
// screen and see the board change, plan and resolve a shortfall as one
// user and verify it as another (the resolver may not), and get a 404 for
// a household outside the user's area. Screenshots of the main pages go
// to testdata/screens (ignored by git). Without a browser the test is
// skipped, unless TUOPIN_BROWSER_REQUIRED=1 (CI sets it).
func TestBrowser(t *testing.T) {
	bin := chrome()
	if bin == "" {
		if os.Getenv("TUOPIN_BROWSER_REQUIRED") == "1" {
			t.Fatal("no chromium found and TUOPIN_BROWSER_REQUIRED=1")
		}
		t.Skip("no chromium; install Debian's chromium to run the browser tests")
	}
	m := &Main{}
	if err := m.Run(context.Background(), Config{DB: filepath.Join(t.TempDir(), "b.db"), Addr: "127.0.0.1:0", Now: func() time.Time { return now }, Migrate: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	ctx := context.Background()
	s := m.Store
	if _, err := demo.Load(ctx, s, demo.Options{Households: 400, Seed: 3, Months: 2}); err != nil {
		t.Fatal(err)
	}
	base := "http://" + m.Addr
	// A household with a safe house, in a village; its township's officer
	// verifies; another township is out of the cadre's scope.
	hs, _, err := s.ListHouseholds(ctx, auth.System("t"), store.HouseholdFilter{Status: "exited", PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	var h registry.Household
	for _, x := range hs {
		// A village that is on the board, so the drill-down reaches it.
		if b, err := s.Board(ctx, auth.System("t"), x.VillageCode, "2026-11"); err == nil && b.Unresolve > 0 && (x.HousingGrade == "A" || x.HousingGrade == "B") {
			h = x
			break
		}
	}
	if h.ID == 0 {
		t.Fatal("no exited household with a safe house in a village on the board")
	}
	var far registry.Household
	for _, x := range hs {
		if x.VillageCode[:9] != h.VillageCode[:9] {
			far = x
			break
		}
	}
	for _, u := range []struct{ name, role, area string }{
		{"admin", auth.CountyAdmin, h.VillageCode[:6]},
		{"cadre", auth.VillageCadre, h.VillageCode},
		{"town", auth.TownshipOfficer, h.VillageCode[:9]},
	} {
		if _, err := s.AddUser(ctx, u.name, "password-"+u.name, u.role, u.area); err != nil {
			t.Fatal(err)
		}
	}
	screens := filepath.Join("testdata", "screens")
	if err := os.MkdirAll(screens, 0o755); err != nil {
		t.Fatal(err)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(bin), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 900),
		chromedp.Flag("lang", "zh-CN"), chromedp.Flag("accept-lang", "zh-CN"))
	alloc, cancel := chromedp.NewExecAllocator(ctx, opts...)
	defer cancel()
	bctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	// The first call starts the browser and must not carry a timeout;
	// every later step gets one.
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			buf, err := chromedp.FullScreenshot(100)(ctx, tg) // 100 gives PNG
			if err != nil {
				return chromedp.Void{}, err
			}
			return chromedp.Void{}, os.WriteFile(filepath.Join(screens, name+".png"), buf, 0o644)
		}
	}
	run := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		ctx, cancel := context.WithTimeout(bctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(ctx, actions...); err != nil {
			// Keep what the browser showed, to see why.
			sctx, cancel := context.WithTimeout(bctx, 10*time.Second)
			defer cancel()
			chromedp.Do(sctx, shot("failure"))
			t.Fatalf("%s: %v (the page is in testdata/screens/failure.png)", what, err)
		}
	}
	signIn := func(user string) {
		t.Helper()
		run("sign in as "+user,
			chromedp.Navigate(base+"/login"),
			chromedp.WaitVisible(chromedp.CSS(`#username`)),
			chromedp.SendKeys(chromedp.CSS(`#username`), user),
			chromedp.SendKeys(chromedp.CSS(`#password`), "password-"+user),
			chromedp.Click(chromedp.CSS(`form.login button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(`nav.menu`)),
		)
	}
	signOut := func() {
		run("sign out", chromedp.Click(chromedp.CSS(`header form button`)), chromedp.WaitVisible(chromedp.CSS(`#username`)))
	}
	text := func(sel string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(bctx, 30*time.Second)
		defer cancel()
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return strings.TrimSpace(v)
	}

	// follow goes where a link on the page leads, as a click does; reading
	// the link and loading it avoids querying a page that is being
	// replaced.
	follow := func(what, sel, wait string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(bctx, 30*time.Second)
		defer cancel()
		href, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(sel), "href"))
		if err != nil || !href.Exists {
			t.Fatalf("%s: no link %s: %v", what, sel, err)
		}
		run(what, chromedp.Navigate(base+href.Value), chromedp.WaitVisible(chromedp.CSS(wait)))
	}

	// Sign in; the workbench; the board, drilled down from the county to
	// a township to the household's village to its households.
	signIn("admin")
	run("workbench", chromedp.WaitVisible(chromedp.CSS(`.tiles`)), shot("workbench"))
	run("board", chromedp.Navigate(base+"/board"), chromedp.WaitVisible(chromedp.CSS(`#areas`)), chromedp.Sleep(500*time.Millisecond), shot("board"))
	follow("township", `#areas a[href*="area=`+h.VillageCode[:9]+`&"]`, `#areas a[href*="`+h.VillageCode+`"]`)
	follow("village", `#areas a[href*="`+h.VillageCode+`"]`, `a.button[href^="/households?area=`+h.VillageCode+`"]`)
	before, _ := strconv.Atoi(text(`#unresolved`))
	follow("households", `a.button[href^="/households?area=`+h.VillageCode+`"]`, `table`)
	run("households shot", shot("households"))
	run("household", chromedp.Navigate(base+"/households/"+strconv.FormatInt(h.ID, 10)), chromedp.WaitVisible(chromedp.CSS(`#assessment`)), shot("household"))

	// A visit on a phone finds the house dangerous; the page shows the
	// re-assessment and the village's board counts one more open item.
	run("visit on a phone",
		chromedp.EmulateViewport(360, 740),
		chromedp.Navigate(base+"/households/"+strconv.FormatInt(h.ID, 10)+"/visit"),
		chromedp.WaitVisible(chromedp.CSS(`#housing_grade`)),
		chromedp.SetValue(chromedp.CSS(`#housing_grade`), "D"),
		chromedp.SendKeys(chromedp.CSS(`#notes`), "房屋出现裂缝"),
		shot("visit-phone"),
		chromedp.Click(chromedp.CSS(`button.big`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
		shot("household-after-visit"),
	)
	if got := text(`#assessment details[open] tr.fail`); !strings.Contains(got, "住房") {
		t.Fatalf("the re-assessment does not show the housing rule failing: %s", got)
	}
	run("board after the visit", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(base+"/board?area="+h.VillageCode), chromedp.WaitVisible(chromedp.CSS(`#unresolved`)))
	if after, _ := strconv.Atoi(text(`#unresolved`)); after != before+1 {
		t.Fatalf("board unresolved %d before the visit, %d after", before, after)
	}
	signOut()

	// The village cadre plans and resolves the housing item; the resolver
	// may not verify it; the township officer does.
	items, _ := s.Shortfalls(ctx, auth.System("t"), h.ID)
	var item registry.Shortfall
	for _, x := range items {
		if x.RuleCode == "housing" && x.Status == registry.ShortfallOpen {
			item = x
		}
	}
	if item.ID == 0 {
		t.Fatalf("no open housing item: %+v", items)
	}
	sel := "#item-" + strconv.FormatInt(item.ID, 10)
	page := base + "/households/" + strconv.FormatInt(h.ID, 10)
	signIn("cadre")
	run("plan",
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Click(chromedp.CSS(sel+` details:nth-of-type(1) summary`)),
		chromedp.SetValue(chromedp.CSS(sel+` select[name=category]`), "housing"),
		chromedp.SendKeys(chromedp.CSS(sel+` input[name=unit]`), "镇住建所"),
		chromedp.SendKeys(chromedp.CSS(sel+` input[name=cost]`), "15000"),
		chromedp.Submit(chromedp.CSS(sel+` details:nth-of-type(1) form`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
	)
	run("resolve",
		chromedp.Click(chromedp.CSS(sel+` details:nth-of-type(2) summary`)),
		chromedp.SendKeys(chromedp.CSS(sel+` textarea[name=evidence]`), "改造完成，验收照片已上传"),
		chromedp.Submit(chromedp.CSS(sel+` details:nth-of-type(2) form`)),
		chromedp.WaitVisible(chromedp.CSS(sel+`.resolved`)),
		shot("shortfall-resolved"),
	)
	run("the resolver tries to verify", chromedp.Submit(chromedp.CSS(sel+` form.inline`)), chromedp.WaitVisible(chromedp.CSS(`.error`)))
	if got := text(`.error`); !strings.Contains(got, i18n.T(i18n.ZH, "error.verify_own")) {
		t.Fatalf("the resolver's verify: %q", got)
	}
	// Out of the cadre's scope: 404.
	if far.ID != 0 {
		run("out of scope", chromedp.Navigate(base+"/households/"+strconv.FormatInt(far.ID, 10)), chromedp.WaitVisible(chromedp.CSS(`.error`)))
		if got := text(`.error`); !strings.Contains(got, i18n.T(i18n.ZH, "error.not_found")) {
			t.Fatalf("out-of-scope household: %q", got)
		}
		if code := statusAs(t, base, "cadre", "/households/"+strconv.FormatInt(far.ID, 10)); code != http.StatusNotFound {
			t.Fatalf("out-of-scope household answered %d", code)
		}
	}
	signOut()
	signIn("town")
	run("verify", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Submit(chromedp.CSS(sel+` form.inline`)),
		chromedp.WaitVisible(chromedp.CSS(sel+`.verified`)))
	items, _ = s.Shortfalls(ctx, auth.System("t"), h.ID)
	for _, x := range items {
		if x.ID == item.ID && (x.Status != registry.ShortfallVerified || x.ResolvedBy != "cadre" || x.VerifiedBy != "town") {
			t.Fatalf("item after verification: %+v", x)
		}
	}
	run("cases", chromedp.Navigate(base+"/cases"), chromedp.WaitVisible(chromedp.CSS(`table`)), shot("cases"))
	signOut()

	// An import with a bad ID number: the report names the row and the
	// column, and nothing is written.
	var buf strings.Builder
	cw, err := importer.NewCSVWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	full, err := s.GetHousehold(ctx, auth.System("t"), h.ID)
	if err != nil {
		t.Fatal(err)
	}
	full.Number = full.VillageCode + "9999"
	if err := cw.Write(&full); err != nil {
		t.Fatal(err)
	}
	if err := cw.Close(); err != nil {
		t.Fatal(err)
	}
	roster := strings.Replace(buf.String(), full.Members[0].IDNumber, "12345", 1)
	file := filepath.Join(t.TempDir(), "roster.csv")
	if err := os.WriteFile(file, []byte(roster), 0o644); err != nil {
		t.Fatal(err)
	}
	before2, _, _ := s.Counts(ctx)
	signIn("admin")
	run("import with errors",
		chromedp.Navigate(base+"/import"),
		chromedp.WaitVisible(chromedp.CSS(`#file`)),
		chromedp.SetUploadFiles(chromedp.CSS(`#file`), []string{file}),
		chromedp.Submit(chromedp.CSS(`form[action="/import"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#import-errors`)),
		shot("import-report"),
	)
	if got := text(`#import-errors tbody`); !strings.HasPrefix(got, "2") || !strings.Contains(got, "12345") {
		t.Fatalf("import report: %s", got)
	}
	if after2, _, _ := s.Counts(ctx); after2 != before2 {
		t.Fatalf("a file with errors wrote households: %d before, %d after", before2, after2)
	}
	// Accountability: the rules open cases; one is investigated and
	// decided from its page.
	run("accountability scan",
		chromedp.Navigate(base+"/accountability"),
		chromedp.WaitVisible(chromedp.CSS(`form[action="/accountability/scan"]`)),
		chromedp.Submit(chromedp.CSS(`form[action="/accountability/scan"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
	)
	cases, err := s.AccountabilityCases(ctx, auth.System("t"), "")
	if err != nil || len(cases) == 0 {
		t.Fatalf("the scan opened no case: %v", err)
	}
	casePage := base + "/accountability/" + strconv.FormatInt(cases[0].ID, 10)
	// until waits for the store to show what a submitted form did, then
	// loads the page again: the page being replaced is never queried.
	until := func(what string, done func(registry.AccountabilityCase) bool) {
		t.Helper()
		for i := 0; i < 100; i++ {
			if x, err := s.AccountabilityCase(ctx, auth.System("t"), cases[0].ID); err == nil && done(x) {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("%s: the case did not change", what)
	}
	run("investigate",
		chromedp.Navigate(casePage),
		chromedp.WaitVisible(chromedp.CSS(`#findings`)),
		chromedp.SendKeys(chromedp.CSS(`#findings`), "核实：农户外出务工"),
		chromedp.Click(chromedp.CSS(`form.card button[type=submit]`)),
	)
	until("investigate", func(x registry.AccountabilityCase) bool { return x.Status == registry.AccountabilityInvestigating })
	run("decide",
		chromedp.Navigate(casePage),
		chromedp.WaitVisible(chromedp.CSS(`#decision`)),
		chromedp.SetValue(chromedp.CSS(`#decision`), "reminder"),
		chromedp.SendKeys(chromedp.CSS(`#evidence`), "提醒谈话记录"),
		chromedp.Click(chromedp.CSS(`form.card button[type=submit]`)),
	)
	until("decide", func(x registry.AccountabilityCase) bool { return x.Status == registry.AccountabilityDecided })
	run("decided case", chromedp.Navigate(casePage), chromedp.WaitVisible(chromedp.CSS(`dl.facts`)), shot("accountability-case"))
	if x, _ := s.AccountabilityCase(ctx, auth.System("t"), cases[0].ID); x.Status != registry.AccountabilityDecided || x.Decision != "reminder" {
		t.Fatalf("case after the page: %+v", x)
	}
	run("scorecards", chromedp.Navigate(base+"/scorecards?period=2026-10"), chromedp.WaitVisible(chromedp.CSS(`#scorecards`)), shot("scorecards"))
	signOut()

	// The household answers its own survey on a phone, without signing in.
	tok, err := s.CreateSurveyToken(ctx, auth.System("t"), h.ID, "2026-11")
	if err != nil {
		t.Fatal(err)
	}
	run("self survey",
		chromedp.EmulateViewport(360, 740),
		chromedp.Navigate(base+"/s/"+tok),
		chromedp.WaitVisible(chromedp.CSS(`#policies-yes`)),
		chromedp.Click(chromedp.CSS(`#policies-yes`)),
		chromedp.Click(chromedp.CSS(`#measures-yes`)),
		chromedp.Click(chromedp.CSS(`#exit_result-yes`)),
		chromedp.Click(chromedp.CSS(`#cadre-yes`)),
		shot("survey-phone"),
		chromedp.Click(chromedp.CSS(`button.big`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash`)),
		chromedp.EmulateViewport(1280, 900),
	)
	signIn("admin")

	// The report pages render with their charts.
	for _, pg := range []struct{ path, wait, name string }{
		{"/exit", `.chart canvas`, "exit"}, {"/mpi", `.chart canvas`, "mpi"}, {"/rules", `table.rules`, "rules"},
		{"/households/" + strconv.FormatInt(h.ID, 10) + "/card", `.a4`, "card"},
	} {
		run(pg.name, chromedp.Navigate(base+pg.path), chromedp.WaitVisible(chromedp.CSS(pg.wait)), chromedp.Sleep(300*time.Millisecond), shot(pg.name))
	}
}

// statusAs signs in over HTTP as user and returns the status of a GET.
func statusAs(t *testing.T, base, user, path string) int {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest("POST", base+"/login", strings.NewReader("username="+user+"&password=password-"+user))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = client.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
