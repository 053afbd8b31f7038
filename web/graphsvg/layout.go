package graphsvg

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/backbone-registry/backbone/catalog"
)

// Columns of the layered layout, left to right.
const (
	colProducers = iota // services that produce at least one topic (or nothing at all)
	colTopics
	colConsumers // services that consume at least one topic
	numCols
)

// Geometry, in pixels. Labels use a monospace font, so their width is
// known from their length.
const (
	margin     = 16
	headerH    = 92 // title, legend and column headings above the first box
	boxH       = 24
	pitch      = 32 // vertical distance between the tops of two boxes of a column
	colGap     = 180
	charW      = 7.25 // advance of a 12px monospace character, rounded up
	padX       = 10
	minBoxW    = 120
	maxSvcChar = 28 // longer labels are shortened; the full name is in the tooltip
	maxTopChar = 36
	maxIter    = 24 // barycentre sweeps at most
	stallIter  = 4  // sweeps without fewer crossings before stopping
)

// box is one drawn node. A service that both produces and consumes is
// drawn twice, once in each side column.
type box struct {
	node      *catalog.GraphNode
	col       int
	label     string
	x, y, w   int
	neighbors []int // boxes in adjacent columns, by index in layout.boxes
	order     int   // position in its column
}

// line is one drawn edge between two boxes, left to right.
type line struct {
	from, to int // box indices
	edge     *catalog.GraphEdge
}

// layout is the geometry of a graph.
type layout struct {
	boxes         []box
	lines         []line
	cols          [numCols][]int // box indices, top to bottom
	width, height int
	colX, colW    [numCols]int
}

// newLayout validates g and lays it out: columns, an order within each
// column that keeps edge crossings low, and coordinates.
func newLayout(g catalog.Graph) (*layout, error) {
	nodes := slices.Clone(g.Nodes)
	slices.SortFunc(nodes, func(a, b catalog.GraphNode) int { return cmp.Compare(a.ID, b.ID) })
	byID := make(map[string]int, len(nodes))
	for i, n := range nodes {
		if n.Type != catalog.NodeService && n.Type != catalog.NodeTopic {
			return nil, fmt.Errorf("node %q: unknown type %q", n.ID, n.Type)
		}
		if _, dup := byID[n.ID]; dup {
			return nil, fmt.Errorf("node %q appears twice", n.ID)
		}
		byID[n.ID] = i
	}
	edges := slices.Clone(g.Edges)
	slices.SortFunc(edges, func(a, b catalog.GraphEdge) int {
		return cmp.Or(cmp.Compare(a.From, b.From), cmp.Compare(a.To, b.To), cmp.Compare(a.Rel, b.Rel))
	})
	edges = slices.Compact(edges)
	produces := make([]bool, len(nodes))
	consumes := make([]bool, len(nodes))
	for _, e := range edges {
		from, okF := byID[e.From]
		to, okT := byID[e.To]
		if !okF || !okT {
			return nil, fmt.Errorf("edge %s → %s: no such node", e.From, e.To)
		}
		want := [2]string{catalog.NodeService, catalog.NodeTopic}
		switch e.Rel {
		case catalog.RelProduces:
			produces[from] = true
		case catalog.RelConsumes:
			want = [2]string{catalog.NodeTopic, catalog.NodeService}
			consumes[to] = true
		default:
			return nil, fmt.Errorf("edge %s → %s: unknown relation %q", e.From, e.To, e.Rel)
		}
		if nodes[from].Type != want[0] || nodes[to].Type != want[1] {
			return nil, fmt.Errorf("edge %s → %s: %s goes from a %s to a %s", e.From, e.To, e.Rel, want[0], want[1])
		}
	}

	l := &layout{}
	at := make([][numCols]int, len(nodes)) // node → box index per column, -1 when absent
	for i := range nodes {
		n := &nodes[i]
		at[i] = [numCols]int{-1, -1, -1}
		add := func(col int) {
			at[i][col] = len(l.boxes)
			l.boxes = append(l.boxes, box{node: n, col: col})
		}
		switch {
		case n.Type == catalog.NodeTopic:
			add(colTopics)
		case produces[i] || !consumes[i]:
			add(colProducers)
			if consumes[i] {
				add(colConsumers)
			}
		default:
			add(colConsumers)
		}
	}
	for i := range edges {
		e := &edges[i]
		ln := line{edge: e}
		if e.Rel == catalog.RelProduces {
			ln.from, ln.to = at[byID[e.From]][colProducers], at[byID[e.To]][colTopics]
		} else {
			ln.from, ln.to = at[byID[e.From]][colTopics], at[byID[e.To]][colConsumers]
		}
		l.lines = append(l.lines, ln)
		l.boxes[ln.from].neighbors = append(l.boxes[ln.from].neighbors, ln.to)
		l.boxes[ln.to].neighbors = append(l.boxes[ln.to].neighbors, ln.from)
	}
	for i := range l.boxes {
		l.cols[l.boxes[i].col] = append(l.cols[l.boxes[i].col], i)
	}
	l.initialOrder()
	l.reduceCrossings()
	l.place()
	return l, nil
}

// initialOrder sorts services by name and topics by owning service, so
// that a service's topics start together.
func (l *layout) initialOrder() {
	for c, col := range l.cols {
		slices.SortStableFunc(col, func(a, b int) int {
			na, nb := l.boxes[a].node, l.boxes[b].node
			if c == colTopics {
				return cmp.Or(cmp.Compare(na.Service, nb.Service), cmp.Compare(na.Name, nb.Name))
			}
			return cmp.Compare(na.Name, nb.Name)
		})
		l.renumber(c)
	}
}

func (l *layout) renumber(c int) {
	for i, b := range l.cols[c] {
		l.boxes[b].order = i
	}
}

// reduceCrossings reorders columns with the barycentre heuristic: each box
// moves to the mean position of its neighbours (relative to the length of
// their column, since columns differ in size), topics first, then both
// service columns, until crossings stop decreasing. The best order seen
// wins. Ties keep the current order, so the result is deterministic.
func (l *layout) reduceCrossings() {
	best := l.crossings()
	bestCols := l.snapshot()
	stall := 0
	for range maxIter {
		if best == 0 || stall >= stallIter {
			break
		}
		l.sortByBarycentre(colTopics)
		l.sortByBarycentre(colProducers)
		l.sortByBarycentre(colConsumers)
		if n := l.crossings(); n < best {
			best, bestCols, stall = n, l.snapshot(), 0
		} else {
			stall++
		}
	}
	l.cols = bestCols
	for c := range numCols {
		l.renumber(c)
	}
}

func (l *layout) snapshot() [numCols][]int {
	var s [numCols][]int
	for c := range numCols {
		s[c] = slices.Clone(l.cols[c])
	}
	return s
}

func (l *layout) sortByBarycentre(c int) {
	col := l.cols[c]
	bary := make([]float64, len(l.boxes))
	for _, b := range col {
		bx := &l.boxes[b]
		if len(bx.neighbors) == 0 {
			bary[b] = (float64(bx.order) + 0.5) / float64(len(col))
			continue
		}
		pos := make([]float64, len(bx.neighbors))
		for i, nb := range bx.neighbors {
			n := &l.boxes[nb]
			pos[i] = (float64(n.order) + 0.5) / float64(len(l.cols[n.col]))
		}
		if c == colTopics {
			bary[b] = mean(pos)
		} else {
			bary[b] = median(pos)
		}
	}
	if c != colTopics {
		// A service follows the median of its topics rather than their
		// mean, so that a command it sends far away does not pull it from
		// the topics it owns.
		slices.SortStableFunc(col, func(a, b int) int { return cmp.Compare(bary[a], bary[b]) })
		l.renumber(c)
		return
	}
	// Topics stay grouped by owning service, so a reader finds a service's
	// topics together and its box sits next to them: groups move by the mean
	// barycentre of their topics, topics move within their group.
	sum := map[string]float64{}
	size := map[string]int{}
	for _, b := range col {
		sum[l.boxes[b].node.Service] += bary[b]
		size[l.boxes[b].node.Service]++
	}
	group := make([]float64, len(l.boxes)) // the mean barycentre of each topic's group
	for _, b := range col {
		s := l.boxes[b].node.Service
		group[b] = sum[s] / float64(size[s])
	}
	slices.SortStableFunc(col, func(a, b int) int {
		return cmp.Or(cmp.Compare(group[a], group[b]), strings.Compare(l.boxes[a].node.Service, l.boxes[b].node.Service), cmp.Compare(bary[a], bary[b]))
	})
	l.renumber(c)
}

// crossings counts pairs of edges that cross, between the producers and
// the topics plus between the topics and the consumers.
func (l *layout) crossings() int {
	var pairs [2][][2]int
	for _, ln := range l.lines {
		from, to := &l.boxes[ln.from], &l.boxes[ln.to]
		pairs[from.col] = append(pairs[from.col], [2]int{from.order, to.order})
	}
	total := 0
	for i, p := range pairs {
		total += inversions(p, len(l.cols[i+1]))
	}
	return total
}

// inversions counts the pairs (a1,b1), (a2,b2) with a1 < a2 and b1 > b2:
// the crossings of the straight edges between two columns, in O(E log n).
func inversions(p [][2]int, n int) int {
	slices.SortFunc(p, func(x, y [2]int) int { return cmp.Or(cmp.Compare(x[0], y[0]), cmp.Compare(x[1], y[1])) })
	tree := make([]int, n+1) // Fenwick tree over b: how many seen so far at or below b
	count, seen := 0, 0
	for i := 0; i < len(p); {
		j := i
		for j < len(p) && p[j][0] == p[i][0] { // edges from the same box do not cross each other
			below := 0
			for k := p[j][1] + 1; k > 0; k -= k & -k {
				below += tree[k]
			}
			count += seen - below
			j++
		}
		for ; i < j; i++ {
			for k := p[i][1] + 1; k <= n; k += k & -k {
				tree[k]++
			}
			seen++
		}
	}
	return count
}

// place sets coordinates. The longest column is packed from the top; the
// others follow their neighbours: each box as close as possible to the
// median height of its neighbours (least squares), keeping its order and a
// pitch between boxes.
func (l *layout) place() {
	tallest := colTopics
	for c := range numCols {
		if len(l.cols[c]) > len(l.cols[tallest]) {
			tallest = c
		}
	}
	rows := max(len(l.cols[tallest]), 1)
	top, bottom := headerH, headerH+rows*pitch-(pitch-boxH)
	placed := [numCols]bool{}
	for i, b := range l.cols[tallest] {
		l.boxes[b].y = top + i*pitch
	}
	placed[tallest] = true
	for range 2 {
		for _, c := range []int{colTopics, colProducers, colConsumers} {
			if c != tallest {
				l.follow(c, placed, top, bottom)
				placed[c] = true
			}
		}
	}

	x := margin
	for c := range numCols {
		maxChars, minW := maxSvcChar, minBoxW
		if c == colTopics {
			maxChars = maxTopChar
		}
		w := 0
		for _, b := range l.cols[c] {
			bx := &l.boxes[b]
			bx.label = shorten(label(bx.node.Name), maxChars)
			w = max(w, minW, int(math.Ceil(float64(len([]rune(bx.label)))*charW))+2*padX)
		}
		l.colX[c], l.colW[c] = x, w
		for _, b := range l.cols[c] {
			l.boxes[b].x, l.boxes[b].w = x, w
		}
		if w > 0 {
			x += w + colGap
		}
	}
	l.width = max(x-colGap+margin, 2*margin)
	l.height = bottom + margin
}

// follow places column c by its placed neighbours.
func (l *layout) follow(c int, placed [numCols]bool, top, bottom int) {
	col := l.cols[c]
	if len(col) == 0 {
		return
	}
	// Isotonic regression with spacing: with z_i = y_i - i*pitch, keeping
	// the order and the pitch means z non-decreasing; pool adjacent
	// violators gives the least-squares fit to the targets.
	target := make([]float64, len(col))
	var ys []float64
	for i, b := range col {
		ys = ys[:0]
		for _, nb := range l.boxes[b].neighbors {
			if placed[l.boxes[nb].col] {
				ys = append(ys, float64(l.boxes[nb].y))
			}
		}
		switch {
		case len(ys) > 0:
			target[i] = median(ys) - float64(i*pitch)
		case i > 0:
			target[i] = target[i-1] // no pull of its own: follow the box above
		default:
			target[i] = float64(top)
		}
	}
	type block struct {
		sum   float64
		count int
	}
	var blocks []block
	for _, t := range target {
		blocks = append(blocks, block{t, 1})
		for len(blocks) > 1 {
			a, b := blocks[len(blocks)-2], blocks[len(blocks)-1]
			if a.sum/float64(a.count) <= b.sum/float64(b.count) {
				break
			}
			blocks = append(blocks[:len(blocks)-2], block{a.sum + b.sum, a.count + b.count})
		}
	}
	lo, hi := float64(top), float64(bottom-boxH-(len(col)-1)*pitch)
	i := 0
	for _, bl := range blocks {
		z := math.Round(min(max(bl.sum/float64(bl.count), lo), hi))
		for range bl.count {
			l.boxes[col[i]].y = int(z) + i*pitch
			i++
		}
	}
}

func mean(v []float64) float64 {
	sum := 0.0
	for _, x := range v {
		sum += x
	}
	return sum / float64(len(v))
}

// median returns the middle value of v (the mean of the two middle ones
// for an even length); it sorts v.
func median(v []float64) float64 {
	slices.Sort(v)
	m := len(v) / 2
	if len(v)%2 == 0 {
		return (v[m-1] + v[m]) / 2
	}
	return v[m]
}

// label drops the company, the first part of every name: the picture shows
// one estate.
func label(name string) string {
	if _, rest, ok := strings.Cut(name, "."); ok && strings.Contains(rest, ".") {
		return rest
	}
	return name
}

// shorten cuts s to max runes, replacing its middle with an ellipsis so that
// both the namespace and the kind stay visible.
func shorten(s string, max int) string {
	r := []rune(s)
	if len(r) <= max {
		return s
	}
	head := (max - 1) / 3
	tail := max - 1 - head
	return string(r[:head]) + "…" + string(r[len(r)-tail:])
}
