package api

import (
	"embed"
	"io/fs"
	"net/http"
)

// The API reference at /docs is Swagger UI (swagger-ui-dist 5.35.0,
// Apache-2.0, vendored under docs/swagger-ui), so it renders without any
// request leaving the server.
//
//go:embed docs
var docsFS embed.FS

func docsHandler() http.Handler {
	sub, _ := fs.Sub(docsFS, "docs")
	assets := http.StripPrefix("/docs/assets/", http.FileServerFS(sub))
	mux := http.NewServeMux()
	mux.HandleFunc("GET /docs", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'")
		http.ServeFileFS(w, r, sub, "index.html")
	})
	mux.Handle("GET /docs/assets/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/docs/assets/index.html" || !validAsset(r.URL.Path) {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=86400")
		assets.ServeHTTP(w, r)
	}))
	return mux
}
