package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

// asset is one embedded static file, served under a URL that carries a
// hash of its content, so browsers may keep it for a year and still get a
// new file the moment it changes.
type asset struct {
	url  string
	kind string
	raw  []byte
	gz   []byte // gzip of raw, sent to browsers that accept it
}

// assets hashes and compresses every file under static/ once at start.
type assets struct {
	byName map[string]*asset // "app.css", "vendor/htmx.min.js"
	byURL  map[string]*asset
}

func loadAssets() (*assets, error) {
	a := &assets{byName: map[string]*asset{}, byURL: map[string]*asset{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(path.Base(p), "LICENSE") {
			return err
		}
		raw, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		sum := sha256.Sum256(raw)
		ext := path.Ext(name)
		x := &asset{url: "/static/" + strings.TrimSuffix(name, ext) + "." + hex.EncodeToString(sum[:6]) + ext, kind: mime.TypeByExtension(ext), raw: raw}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		zw.Write(raw)
		zw.Close()
		x.gz = buf.Bytes()
		a.byName[name], a.byURL[x.url] = x, x
		return nil
	})
	return a, err
}

// url returns the hashed URL of a static file by name.
func (a *assets) url(name string) string {
	if x := a.byName[name]; x != nil {
		return x.url
	}
	return "/static/missing/" + name
}

// ServeHTTP answers /static/… with the file, compressed when the browser
// accepts gzip.
func (a *assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	x := a.byURL[r.URL.Path]
	if x == nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", x.kind)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Add("Vary", "Accept-Encoding")
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		w.Write(x.gz)
		return
	}
	w.Write(x.raw)
}
