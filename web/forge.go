package web

import (
	"net/url"
	"strings"
)

// forges are the hosts whose commit pages we know how to link to, with the
// path of a commit under a repository's URL. Self-hosted forges are not
// recognised: their hosts say nothing of the software.
var forges = map[string]string{
	"github.com":    "/commit/",
	"gitlab.com":    "/-/commit/",
	"bitbucket.org": "/commits/",
	"codeberg.org":  "/commit/",
}

// commitURL returns the web page of a commit of the repository at source
// (an https or ssh URL, credentials already redacted), or "" when the
// source is not on a known forge.
func commitURL(source, sha string) string {
	if source == "" || sha == "" {
		return ""
	}
	host, path := "", ""
	if u, err := url.Parse(source); err == nil && u.Host != "" && (u.Scheme == "https" || u.Scheme == "http" || u.Scheme == "ssh") {
		host, path = u.Hostname(), u.Path
	} else if at, rest, ok := strings.Cut(source, "@"); ok && !strings.Contains(at, "/") {
		// scp-like ssh: git@github.com:owner/repo.git
		host, path, _ = strings.Cut(rest, ":")
	}
	commit, ok := forges[strings.ToLower(host)]
	path = strings.TrimSuffix(strings.Trim(path, "/"), ".git")
	if !ok || strings.Count(path, "/") < 1 {
		return ""
	}
	return "https://" + strings.ToLower(host) + "/" + path + commit + url.PathEscape(sha)
}
