package web

import (
	"embed"
	"html/template"
	"net/http"
	"strings"

	"github.com/switchio/switchio/internal/uplot"
)

//go:embed assets/index.html assets/app.js assets/app.css
var files embed.FS

var pageTmpl = template.Must(template.ParseFS(files, "assets/index.html"))

// pageData fills the page: the token only when the server listens on
// loopback (see the package doc).
type pageData struct {
	Token string
}

func (s *Server) page(w http.ResponseWriter, _ *http.Request) {
	var data pageData
	if s.loopback {
		data.Token = s.token
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pageTmpl.Execute(w, data)
}

// serveAsset serves the page's script and style and the chart library.
func serveAsset(w http.ResponseWriter, r *http.Request) {
	js, css := uplot.Library()
	name := r.PathValue("name")
	var body, typ string
	switch name {
	case "uplot.js":
		body, typ = js, "text/javascript; charset=utf-8"
	case "uplot.css":
		body, typ = css, "text/css; charset=utf-8"
	case "app.js", "app.css":
		b, err := files.ReadFile("assets/" + name)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		body = string(b)
		typ = "text/javascript; charset=utf-8"
		if strings.HasSuffix(name, ".css") {
			typ = "text/css; charset=utf-8"
		}
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", typ)
	_, _ = w.Write([]byte(body))
}
