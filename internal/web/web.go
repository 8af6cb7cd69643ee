// Package web serves the server-rendered pages the county office and the
// village cadres work in: the workbench, the 清零 board, households and
// their visits, shortfalls and monitoring cases. Pages are Chinese by
// default; ?lang=en switches to English and the choice is kept in a
// cookie. There are no inline scripts: charts read JSON the page carries.
package web

import (
	"bytes"
	"embed"
	"encoding/json"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"tuopin/internal/api"
	"tuopin/internal/assess"
	"tuopin/internal/auth"
	"tuopin/internal/fault"
	"tuopin/internal/i18n"
	"tuopin/internal/policy"
	"tuopin/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Handler serves the pages.
type Handler struct {
	Store  *store.Store
	Assess *assess.Assessor
	Log    *slog.Logger
	tmpl   *template.Template
	assets *assets
	jobs   jobs
}

// New parses the templates and hashes the static files once.
func New(s *store.Store, a *assess.Assessor, log *slog.Logger) (*Handler, error) {
	h := &Handler{Store: s, Assess: a, Log: log}
	var err error
	if h.assets, err = loadAssets(); err != nil {
		return nil, err
	}
	h.tmpl, err = template.New("").Funcs(h.funcs()).ParseFS(templateFS, "templates/*.html")
	return h, err
}

// Register adds the page routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", h.workbench)
	mux.HandleFunc("GET /login", h.loginPage)
	mux.HandleFunc("POST /login", h.loginSubmit)
	mux.HandleFunc("POST /logout", h.logout)
	mux.HandleFunc("GET /password", h.passwordPage)
	mux.HandleFunc("POST /password", h.passwordSubmit)
	mux.HandleFunc("GET /households", h.households)
	mux.HandleFunc("GET /households/{id}", h.household)
	mux.HandleFunc("GET /households/{id}/card", h.card)
	mux.HandleFunc("GET /households/{id}/visit", h.visitForm)
	mux.HandleFunc("POST /households/{id}/visit", h.visitSubmit)
	mux.HandleFunc("GET /board", h.board)
	mux.HandleFunc("GET /shortfalls", h.shortfalls)
	mux.HandleFunc("POST /shortfalls/{id}", h.shortfallAction)
	mux.HandleFunc("GET /cases", h.cases)
	mux.HandleFunc("GET /cases/{id}", h.casePage)
	mux.HandleFunc("POST /cases/{id}", h.caseAction)
	mux.HandleFunc("GET /scorecards", h.scorecards)
	mux.HandleFunc("GET /scorecards/lists", h.scorecardLists)
	mux.HandleFunc("GET /scorecards/{id}", h.scoreRecords)
	mux.HandleFunc("GET /scorecards/{id}/history.xlsx", h.scorecardHistory)
	mux.HandleFunc("POST /households/{id}/survey-link", h.surveyLink)
	mux.HandleFunc("POST /households/{id}/survey", h.surveyRecord)
	mux.HandleFunc("GET /s/{token}", h.survey)
	mux.HandleFunc("POST /s/{token}", h.surveySubmit)
	mux.HandleFunc("GET /integrity", h.integrity)
	mux.HandleFunc("GET /accountability", h.accountability)
	mux.HandleFunc("POST /accountability/scan", h.accountabilityScan)
	mux.HandleFunc("GET /accountability/{id}", h.accountabilityCase)
	mux.HandleFunc("POST /accountability/{id}", h.accountabilityAction)
	mux.HandleFunc("GET /exit", h.exitPage)
	mux.HandleFunc("GET /mpi", h.mpiPage)
	mux.HandleFunc("GET /rules", h.rulesPage)
	mux.HandleFunc("GET /import", h.importPage)
	mux.HandleFunc("POST /import", h.importSubmit)
	mux.HandleFunc("POST /jobs/{id}/commit", h.importCommit)
	mux.HandleFunc("POST /assess", h.assessSubmit)
	mux.HandleFunc("POST /households/export", h.exportSubmit)
	mux.HandleFunc("GET /jobs/{id}", h.jobPage)
	mux.HandleFunc("GET /jobs/{id}/file", h.jobFile)
	mux.Handle("GET /static/", h.assets)
}

func (h *Handler) lang(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l != "" {
		lang := i18n.Lang(l)
		http.SetCookie(w, &http.Cookie{Name: "lang", Value: lang, Path: "/", SameSite: http.SameSiteLaxMode, MaxAge: 365 * 86400})
		return lang
	}
	if c, err := r.Cookie("lang"); err == nil {
		return i18n.Lang(c.Value)
	}
	return i18n.Lang(r.Header.Get("Accept-Language"))
}

// page is what every template gets: the language, the user, the menu
// entry to mark, breadcrumbs, a message, and the page's own data.
type page struct {
	Lang      string
	User      auth.Principal
	Title     string
	Menu      string
	Crumbs    []crumb
	Flash     string
	Error     string
	Charts    bool
	Data      any
	SwitchURL string
}

type crumb struct{ Code, Name, URL string }

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	q := r.URL.Query()
	if p.Lang == i18n.EN {
		q.Set("lang", "zh-CN")
	} else {
		q.Set("lang", "en")
	}
	p.SwitchURL = r.URL.Path + "?" + q.Encode()
	var buf bytes.Buffer
	if err := h.tmpl.ExecuteTemplate(&buf, name, p); err != nil {
		if h.Log != nil {
			h.Log.Error("render", "template", name, "err", err)
		}
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail renders an error page for err: 404 for anything not found or out
// of scope, the message in the user's language for the rest.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, v *view, err error) {
	status, msg := http.StatusInternalServerError, i18n.T(v.lang, "error.internal")
	if e, ok := fault.As(err); ok && e.Kind != fault.Internal {
		status, msg = api.Status(e.Kind), e.Msg.In(v.lang)
		for _, f := range e.Fields {
			msg += " · " + f.Field + ": " + f.Reason.In(v.lang)
		}
	} else if h.Log != nil {
		h.Log.Error("page", "path", r.URL.Path, "err", err)
	}
	h.render(w, r, status, "error.html", page{Lang: v.lang, User: v.p, Error: msg})
}

// errorText is err as one line in lang, with the fields it names.
func errorText(lang string, err error) string {
	e, ok := fault.As(err)
	if !ok {
		return i18n.T(lang, "error.internal")
	}
	msg := e.Msg.In(lang)
	for _, f := range e.Fields {
		msg += " · " + fieldName(lang, f.Field) + " " + f.Value + ": " + f.Reason.In(lang)
	}
	return msg
}

// view is a signed-in request: who and in which language.
type view struct {
	p    auth.Principal
	lang string
}

// signedIn returns the request's user, or redirects to the sign-in page.
func (h *Handler) signedIn(w http.ResponseWriter, r *http.Request) (*view, bool) {
	p, ok := h.user(w, r)
	if !ok {
		return nil, false
	}
	return &view{p: p, lang: h.lang(w, r)}, true
}

func (v *view) page(title, menu string, data any) page {
	return page{Lang: v.lang, User: v.p, Title: title, Menu: menu, Data: data}
}

func (v *view) t(key string, kv ...string) string { return i18n.T(v.lang, key, kv...) }

// crumbs are the breadcrumbs from the user's own area down to area.
func (h *Handler) crumbs(p auth.Principal, area, base string) []crumb {
	var out []crumb
	for _, c := range h.Store.Divisions().Path(area) {
		if p.InScope(c.Code) {
			out = append(out, crumb{Code: c.Code, Name: c.Name, URL: base + c.Code})
		}
	}
	return out
}

func (h *Handler) funcs() template.FuncMap {
	return template.FuncMap{
		"t": func(lang, key string, kv ...string) string { return i18n.T(lang, key, kv...) },
		"code": func(lang, list, code string) string {
			if code == "" {
				return ""
			}
			return i18n.T(lang, "code."+list+"."+code)
		},
		"add":   func(a, b int) int { return a + b },
		"itoa":  strconv.Itoa,
		"i64":   func(n int64) string { return strconv.FormatInt(n, 10) },
		"asset": func(name string) string { return h.assets.url(name) },
		"yuan":  func(fen int64) string { return strconv.FormatFloat(float64(fen)/100, 'f', 2, 64) },
		"area": func(code string) string {
			if d, ok := h.Store.Divisions().Get(code); ok {
				return d.Name
			}
			return code
		},
		"list": func(xs ...string) []string { return xs },
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		},
		"deref": func(b *bool) bool { return b != nil && *b },
		// label translates a code of a list when the catalogue has it and
		// shows the code itself otherwise (audit actions are open-ended).
		"label": func(lang, list, code string) string {
			if t := i18n.T(lang, "code."+list+"."+code); t != "code."+list+"."+code {
				return t
			}
			return code
		},
		"pct": func(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" },
		"json": func(v any) template.JS {
			b, _ := json.Marshal(v)
			return template.JS(b)
		},
	}
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, http.StatusOK, "login.html", page{Lang: h.lang(w, r), Data: r.URL.Query().Get("next")})
}

func (h *Handler) loginSubmit(w http.ResponseWriter, r *http.Request) {
	lang := h.lang(w, r)
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	_, token, err := h.Store.Login(r.Context(), r.PostForm.Get("username"), r.PostForm.Get("password"))
	if err != nil {
		e, ok := fault.As(err)
		msg := i18n.T(lang, "error.internal")
		status := http.StatusInternalServerError
		if ok {
			msg, status = e.Msg.In(lang), api.Status(e.Kind)
		}
		h.render(w, r, status, "login.html", page{Lang: lang, Error: msg, Data: r.PostForm.Get("next")})
		return
	}
	api.SetSessionCookie(w, r, token)
	next := r.PostForm.Get("next")
	if u, err := url.Parse(next); err != nil || next == "" || u.IsAbs() || u.Host != "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(api.SessionCookie); err == nil {
		h.Store.Logout(r.Context(), c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: api.SessionCookie, Value: "", Path: "/", MaxAge: -1})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// user returns the signed-in principal or redirects to the sign-in page.
func (h *Handler) user(w http.ResponseWriter, r *http.Request) (auth.Principal, bool) {
	p, err := api.Credentials(h.Store, r)
	if err != nil {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return p, false
	}
	return p, true
}

// month is the request's ?period=YYYY-MM, or, when it is absent or not a
// month, the month offset months from this one.
func (h *Handler) month(r *http.Request, offset int) string {
	p := r.URL.Query().Get("period")
	if _, err := time.Parse("2006-01", p); err == nil {
		return p
	}
	return policy.PeriodOf(h.Store.Now().AddDate(0, offset, 0)).String()
}
