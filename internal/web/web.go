// Package web serves the server-rendered pages: sign-in and the household
// list. Pages are Chinese by default; ?lang=en switches to English and the
// choice is kept in a cookie.
package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"tuopin/internal/api"
	"tuopin/internal/auth"
	"tuopin/internal/fault"
	"tuopin/internal/i18n"
	"tuopin/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Handler serves the pages.
type Handler struct {
	Store *store.Store
	Log   *slog.Logger
	tmpl  *template.Template
	css   string // content-hashed URL of the stylesheet
}

// New parses the templates once.
func New(s *store.Store, log *slog.Logger) (*Handler, error) {
	h := &Handler{Store: s, Log: log}
	b, err := staticFS.ReadFile("static/app.css")
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	h.css = "/static/app." + hex.EncodeToString(sum[:6]) + ".css"
	funcs := template.FuncMap{
		"t": func(lang, key string, kv ...string) string { return i18n.T(lang, key, kv...) },
		"code": func(lang, list, code string) string {
			if code == "" {
				return ""
			}
			return i18n.T(lang, "code."+list+"."+code)
		},
		"add":  func(a, b int) int { return a + b },
		"itoa": strconv.Itoa,
	}
	h.tmpl, err = template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html")
	return h, err
}

// Register adds the page routes to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/households", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /login", h.loginPage)
	mux.HandleFunc("POST /login", h.loginSubmit)
	mux.HandleFunc("POST /logout", h.logout)
	mux.HandleFunc("GET /households", h.households)
	mux.HandleFunc("GET "+h.css, func(w http.ResponseWriter, r *http.Request) {
		b, _ := fs.ReadFile(staticFS, "static/app.css")
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		w.Write(b)
	})
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

type page struct {
	Lang      string
	CSS       string
	User      auth.Principal
	Error     string
	Data      any
	SwitchURL string
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p page) {
	p.CSS = h.css
	q := r.URL.Query()
	if p.Lang == i18n.EN {
		q.Set("lang", "zh-CN")
	} else {
		q.Set("lang", "en")
	}
	p.SwitchURL = r.URL.Path + "?" + q.Encode()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	if err := h.tmpl.ExecuteTemplate(w, name, p); err != nil && h.Log != nil {
		h.Log.Error("render", "template", name, "err", err)
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
		next = "/households"
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

type householdRow struct {
	ID                                   int64
	Number, Village, Head, HeadID, Phone string
	Status, Attribute, MainCause, Grade  string
	Size                                 int
}

type householdsData struct {
	Q, Area, AreaName  string
	Items              []householdRow
	Total, Page, Pages int
	PrevURL, NextURL   string
	Crumbs             []crumb
	Children           []crumb
}

type crumb struct{ Code, Name, URL string }

func (h *Handler) households(w http.ResponseWriter, r *http.Request) {
	p, ok := h.user(w, r)
	if !ok {
		return
	}
	lang := h.lang(w, r)
	q := r.URL.Query()
	area := q.Get("area")
	if area == "" {
		area = p.Area
	}
	if !p.InScope(area) {
		h.render(w, r, http.StatusNotFound, "error.html", page{Lang: lang, User: p, Error: i18n.T(lang, "error.not_found")})
		return
	}
	pg, _ := strconv.Atoi(q.Get("page"))
	if pg < 1 {
		pg = 1
	}
	const size = 50
	items, total, err := h.Store.ListHouseholds(r.Context(), p, store.HouseholdFilter{Area: area, Q: q.Get("q"), Page: pg, PageSize: size})
	if err != nil {
		h.Log.Error("households", "err", err)
		h.render(w, r, http.StatusInternalServerError, "error.html", page{Lang: lang, User: p, Error: i18n.T(lang, "error.internal")})
		return
	}
	tab := h.Store.Divisions()
	d := householdsData{Q: q.Get("q"), Area: area, Total: total, Page: pg, Pages: (total + size - 1) / size}
	for _, hh := range items {
		row := householdRow{ID: hh.ID, Number: hh.Number, Head: hh.HeadName, Phone: hh.Phone, Status: hh.Status,
			Attribute: hh.Attribute, MainCause: hh.MainCause, Grade: hh.HousingGrade, Size: hh.Size}
		if v, ok := tab.Get(hh.VillageCode); ok {
			row.Village = v.Name
		}
		d.Items = append(d.Items, row)
	}
	for _, c := range tab.Path(area) {
		if p.InScope(c.Code) {
			d.Crumbs = append(d.Crumbs, crumb{Code: c.Code, Name: c.Name, URL: "/households?area=" + c.Code})
		}
	}
	if a, ok := tab.Get(area); ok {
		d.AreaName = a.Name
	}
	for _, c := range tab.Children(area) {
		d.Children = append(d.Children, crumb{Code: c.Code, Name: c.Name, URL: "/households?area=" + c.Code})
	}
	link := func(n int) string {
		v := url.Values{"area": {area}, "page": {strconv.Itoa(n)}}
		if d.Q != "" {
			v.Set("q", d.Q)
		}
		return "/households?" + v.Encode()
	}
	if pg > 1 {
		d.PrevURL = link(pg - 1)
	}
	if pg < d.Pages {
		d.NextURL = link(pg + 1)
	}
	h.render(w, r, http.StatusOK, "households.html", page{Lang: lang, User: p, Data: d})
}
