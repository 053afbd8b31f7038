package web

import (
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sergi/go-diff/diffmatchpatch"

	registry "github.com/backbone-registry/backbone"
	"github.com/backbone-registry/backbone/catalog"
)

// diffPage is the data of the diff between two versions of a topic.
type diffPage struct {
	Topic    string
	Diff     catalog.VersionDiff
	Versions []registry.TopicVersion // newest first, for the version pickers
	Files    []fileDiff
	Breaking int // findings at error severity
	FromURL  string
	ToURL    string
	Levels   []registry.Level
}

// fileDiff is one file compared side by side.
type fileDiff struct {
	Path    string
	Status  string // "changed", "added", "removed" or "unchanged"
	Rows    []diffRow
	Added   int
	Removed int
}

// diffRow is one row of a side-by-side diff: a line on either side (Left
// or Right empty when the line exists on one side only), or a gap of
// Skipped unchanged lines.
type diffRow struct {
	Op          string // "same", "del", "add", "change" or "skip"
	LeftNo      int
	Left        string
	RightNo     int
	Right       string
	Skipped     int
	LeftChange  bool
	RightChange bool
}

// diffContext is how many unchanged lines are shown around a change.
const diffContext = 3

var versionParam = regexp.MustCompile(`^([1-9][0-9]{0,8}|latest)?$`)

func (h *Handler) diff(w http.ResponseWriter, r *http.Request) {
	c, err := h.catalog()
	if err != nil {
		h.fail(w, r, err)
		return
	}
	topic := r.PathValue("topic")
	q := r.URL.Query()
	from, to := q.Get("from"), q.Get("to")
	if !versionParam.MatchString(from) || !versionParam.MatchString(to) {
		h.fail(w, r, registry.Errorf(registry.EINVALID, "versions are numbers or \"latest\", not %q and %q", from, to))
		return
	}
	level := registry.Level(q.Get("level"))
	if level != "" && !slices.Contains(registry.Levels, level) {
		h.fail(w, r, registry.Errorf(registry.EINVALID, "unknown level %q", level))
		return
	}
	if enter := h.cfg.Compiles; enter != nil {
		release, err := enter(r.Context())
		if err != nil {
			h.busy(w, r)
			return
		}
		defer release()
	}
	d, err := c.Diff(r.Context(), topic, from, to, level)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := diffPage{Topic: topic, Diff: d, Levels: registry.Levels}
	versions := c.History().Versions(topic)
	for i := len(versions) - 1; i >= 0; i-- {
		p.Versions = append(p.Versions, versions[i])
	}
	src := c.History().State().Source
	p.FromURL, p.ToURL = commitURL(src, d.From.Commit.SHA), commitURL(src, d.To.Commit.SHA)
	for _, f := range d.Findings {
		if f.Severity == registry.SeverityError {
			p.Breaking++
		}
	}
	p.Files = diffFiles(d.FromFiles, d.ToFiles)
	h.render(w, r, "diff", page{Title: topic + " v" + strconv.Itoa(d.From.Version) + " → v" + strconv.Itoa(d.To.Version), Nav: "topics", Data: p})
}

// diffFiles compares two sets of files: changed files first, in path
// order, then unchanged ones (collapsed).
func diffFiles(from, to map[string][]byte) []fileDiff {
	var paths []string
	for p := range from {
		paths = append(paths, p)
	}
	for p := range to {
		if _, ok := from[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	var changed, same []fileDiff
	for _, p := range paths {
		a, inA := from[p]
		b, inB := to[p]
		fd := fileDiff{Path: p}
		fd.Rows, fd.Added, fd.Removed = sideBySide(string(a), string(b))
		switch {
		case !inA:
			fd.Status = "added"
		case !inB:
			fd.Status = "removed"
		case string(a) == string(b):
			fd.Status = "unchanged"
		default:
			fd.Status = "changed"
		}
		if fd.Status == "unchanged" {
			same = append(same, fd)
		} else {
			changed = append(changed, fd)
		}
	}
	return append(changed, same...)
}

// sideBySide lines up two texts: deletions next to the insertions that
// replace them, unchanged runs collapsed to diffContext lines around each
// change.
func sideBySide(a, b string) (rows []diffRow, added, removed int) {
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = time.Second // a worst case gives a coarser diff, never a slow page
	ca, cb, lines := dmp.DiffLinesToChars(a, b)
	diffs := dmp.DiffCharsToLines(dmp.DiffMain(ca, cb, false), lines)
	var all []diffRow
	ln, rn := 1, 1
	var dels, adds []string
	flush := func() {
		for i := range max(len(dels), len(adds)) {
			row := diffRow{Op: "change"}
			if i < len(dels) {
				row.LeftNo, row.Left, row.LeftChange = ln, dels[i], true
				ln++
			}
			if i < len(adds) {
				row.RightNo, row.Right, row.RightChange = rn, adds[i], true
				rn++
			}
			switch {
			case i >= len(adds):
				row.Op = "del"
			case i >= len(dels):
				row.Op = "add"
			}
			all = append(all, row)
		}
		removed += len(dels)
		added += len(adds)
		dels, adds = nil, nil
	}
	for _, d := range diffs {
		text := strings.TrimSuffix(d.Text, "\n")
		if d.Text == "" {
			continue
		}
		split := strings.Split(text, "\n")
		switch d.Type {
		case diffmatchpatch.DiffDelete:
			dels = append(dels, split...)
		case diffmatchpatch.DiffInsert:
			adds = append(adds, split...)
		default:
			flush()
			for _, l := range split {
				all = append(all, diffRow{Op: "same", LeftNo: ln, Left: l, RightNo: rn, Right: l})
				ln++
				rn++
			}
		}
	}
	flush()
	return collapse(all), added, removed
}

// collapse replaces unchanged runs longer than twice the context with a
// skip row.
func collapse(rows []diffRow) []diffRow {
	near := make([]bool, len(rows))
	for i, r := range rows {
		if r.Op != "same" {
			for j := max(0, i-diffContext); j <= min(len(rows)-1, i+diffContext); j++ {
				near[j] = true
			}
		}
	}
	var out []diffRow
	for i := 0; i < len(rows); {
		if near[i] {
			out = append(out, rows[i])
			i++
			continue
		}
		j := i
		for j < len(rows) && !near[j] {
			j++
		}
		if j-i <= 2 { // a skip row would hide no more than it takes
			out = append(out, rows[i:j]...)
		} else {
			out = append(out, diffRow{Op: "skip", Skipped: j - i})
		}
		i = j
	}
	return out
}
