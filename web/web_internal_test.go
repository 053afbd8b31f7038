package web

import "testing"

func TestSummary(t *testing.T) {
	t.Parallel()
	long := "word "
	for len(long) < 400 {
		long += "word "
	}
	tests := []struct{ in, want string }{
		{"", ""},
		{"One line.", "One line."},
		{"The customer gave or withdrew consent for one purpose. Services must honour\nit.", "The customer gave or withdrew consent for one purpose."},
		{"Wrapped\n  over two lines, no stop", "Wrapped over two lines, no stop"},
		{long, long[:159] + "…"},
	}
	for _, tt := range tests {
		if got := summary(tt.in); got != tt.want {
			t.Errorf("summary(%.30q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCommitURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ source, want string }{
		{"https://github.com/acme/schemas.git", "https://github.com/acme/schemas/commit/abc"},
		{"https://github.com/acme/schemas", "https://github.com/acme/schemas/commit/abc"},
		{"git@github.com:acme/schemas.git", "https://github.com/acme/schemas/commit/abc"},
		{"ssh://git@gitlab.com/group/sub/schemas.git", "https://gitlab.com/group/sub/schemas/-/commit/abc"},
		{"https://bitbucket.org/acme/schemas", "https://bitbucket.org/acme/schemas/commits/abc"},
		{"https://codeberg.org/acme/schemas.git", "https://codeberg.org/acme/schemas/commit/abc"},
		{"https://git.internal.example/acme/schemas.git", ""},
		{"/srv/schemas", ""},
		{"https://github.com/acme", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := commitURL(tt.source, "abc"); got != tt.want {
			t.Errorf("commitURL(%q) = %q, want %q", tt.source, got, tt.want)
		}
	}
}

func TestSideBySide(t *testing.T) {
	t.Parallel()
	a := "l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\nl9\nl10\n"
	b := "l1\nl2\nl3\nl4\nl5\nl6\nl7\nL8 changed\nl9\nl10\nl11 added\n"
	rows, added, removed := sideBySide(a, b)
	if added != 2 || removed != 1 {
		t.Errorf("added %d removed %d, want 2 and 1", added, removed)
	}
	var ops []string
	for _, r := range rows {
		ops = append(ops, r.Op)
	}
	// l1–l4 collapse into one gap; three lines of context around l8.
	want := []string{"skip", "same", "same", "same", "change", "same", "same", "add"}
	if len(ops) != len(want) {
		t.Fatalf("ops %v, want %v", ops, want)
	}
	for i := range want {
		if ops[i] != want[i] {
			t.Fatalf("ops %v, want %v", ops, want)
		}
	}
	if rows[0].Skipped != 4 || rows[4].Left != "l8" || rows[4].Right != "L8 changed" || rows[4].LeftNo != 8 || rows[4].RightNo != 8 {
		t.Errorf("rows %+v", rows)
	}
	if r := rows[7]; r.Right != "l11 added" || r.RightNo != 11 || r.LeftNo != 0 {
		t.Errorf("added row %+v", r)
	}
}
