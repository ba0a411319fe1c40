package docscheck

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// maxREADMELines is the README's length budget: what the project is, the
// two commands, a quick start, embedding, layout, dependencies and links.
// Everything else belongs in docs/.
const maxREADMELines = 250

// root is the repository root, relative to this package's directory.
const root = "../.."

func readFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(rel)))
	require.NoError(t, err)
	return string(b)
}

func TestREADMELength(t *testing.T) {
	readme := readFile(t, "README.md")
	n := strings.Count(readme, "\n")
	if !strings.HasSuffix(readme, "\n") {
		n++
	}
	assert.LessOrEqual(t, n, maxREADMELines, "README.md has %d lines: move the details to docs/", n)
}

// The first fenced block of the README is the two set-up commands, in this
// order, each optionally followed by a comment.
func TestREADMEFirstBlockIsTheTwoCommands(t *testing.T) {
	blocks := fencedBlocks(readFile(t, "README.md"))
	require.NotEmpty(t, blocks, "README.md has no fenced block")
	var cmds []string
	for _, l := range strings.Split(strings.TrimRight(blocks[0], "\n"), "\n") {
		cmd, _, _ := strings.Cut(l, "#")
		cmds = append(cmds, strings.Join(strings.Fields(cmd), " "))
	}
	assert.Equal(t, []string{"go run ./examples/server", "make test"}, cmds)
}

// TestRelativeLinks checks every relative Markdown link of README.md and
// docs/*.md: the file must exist, and a fragment must name a heading of the
// target Markdown file (anchors as GitHub makes them).
func TestRelativeLinks(t *testing.T) {
	files := []string{"README.md"}
	docs, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	require.NoError(t, err)
	require.NotEmpty(t, docs, "no docs/*.md")
	for _, d := range docs {
		files = append(files, "docs/"+filepath.Base(d))
	}
	anchorCache := map[string]map[string]bool{}
	anchorsOf := func(rel string) map[string]bool {
		if a, ok := anchorCache[rel]; ok {
			return a
		}
		a := anchors(readFile(t, rel))
		anchorCache[rel] = a
		return a
	}
	checked := 0
	for _, f := range files {
		for _, l := range links(readFile(t, f)) {
			target := l.target
			if isExternal(target) {
				continue
			}
			checked++
			path, frag, _ := strings.Cut(target, "#")
			rel := f
			if path != "" {
				rel = filepath.ToSlash(filepath.Clean(filepath.Join(filepath.Dir(f), filepath.FromSlash(path))))
				if strings.HasPrefix(rel, "../") {
					t.Errorf("%s:%d: link %q leaves the repository", f, l.line, target)
					continue
				}
				if _, err := os.Stat(filepath.Join(root, filepath.FromSlash(rel))); err != nil {
					t.Errorf("%s:%d: link %q: %s does not exist", f, l.line, target, rel)
					continue
				}
			}
			if frag == "" {
				continue
			}
			if !strings.HasSuffix(rel, ".md") {
				t.Errorf("%s:%d: link %q has a fragment into a file that is not Markdown", f, l.line, target)
				continue
			}
			if !anchorsOf(rel)[frag] {
				t.Errorf("%s:%d: link %q: %s has no heading with anchor #%s", f, l.line, target, rel, frag)
			}
		}
	}
	assert.Positive(t, checked, "no relative link found: is the link pattern broken?")
}

func isExternal(target string) bool {
	return regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*:`).MatchString(target)
}

type link struct {
	target string
	line   int
}

var (
	inlineLink = regexp.MustCompile(`\]\(([^()\s]+)(?:\s+"[^"]*")?\)`)
	codeSpan   = regexp.MustCompile("`[^`]*`")
)

// links returns the targets of the inline links outside fenced blocks and
// outside code spans (a link's label may itself be a code span).
func links(md string) []link {
	var out []link
	fence := ""
	sc := bufio.NewScanner(strings.NewReader(md))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if f, ok := fenceOf(line); ok {
			switch {
			case fence == "":
				fence = f
			case strings.HasPrefix(f, fence):
				fence = ""
			}
			continue
		}
		if fence != "" {
			continue
		}
		// Blank out code spans that are not a link's label, so that text
		// such as `a](b)` in code is not taken for a link.
		line = codeSpan.ReplaceAllStringFunc(line, func(s string) string {
			return strings.Repeat("x", len(s))
		})
		for _, m := range inlineLink.FindAllStringSubmatch(line, -1) {
			out = append(out, link{target: m[1], line: n})
		}
	}
	return out
}

// fenceOf reports whether line opens or closes a fenced block, and its
// fence (the run of backticks or tildes).
func fenceOf(line string) (string, bool) {
	s := strings.TrimLeft(line, " ")
	if len(line)-len(s) > 3 {
		return "", false
	}
	for _, c := range []string{"```", "~~~"} {
		if strings.HasPrefix(s, c) {
			i := 0
			for i < len(s) && s[i] == c[0] {
				i++
			}
			return s[:i], true
		}
	}
	return "", false
}

// fencedBlocks returns the contents of the fenced blocks of md, in order.
func fencedBlocks(md string) []string {
	var out []string
	var cur strings.Builder
	fence := ""
	for _, line := range strings.SplitAfter(md, "\n") {
		if f, ok := fenceOf(strings.TrimRight(line, "\n")); ok {
			if fence == "" {
				fence = f
				cur.Reset()
				continue
			}
			if strings.HasPrefix(f, fence) {
				fence = ""
				out = append(out, cur.String())
				continue
			}
		}
		if fence != "" {
			cur.WriteString(line)
		}
	}
	return out
}

// anchors returns the heading anchors of md as GitHub makes them: the
// heading text in lower case, without Markdown punctuation, spaces turned
// into hyphens, and -1, -2 … appended to repeats.
func anchors(md string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	fence := ""
	for _, line := range strings.Split(md, "\n") {
		if f, ok := fenceOf(line); ok {
			switch {
			case fence == "":
				fence = f
			case strings.HasPrefix(f, fence):
				fence = ""
			}
			continue
		}
		if fence != "" || !strings.HasPrefix(line, "#") {
			continue
		}
		text := strings.TrimLeft(line, "#")
		if len(line)-len(text) > 6 || (text != "" && text[0] != ' ') {
			continue
		}
		a := slug(strings.TrimSpace(text))
		if k := seen[a]; k > 0 {
			out[a+"-"+strconv.Itoa(k)] = true
		} else {
			out[a] = true
		}
		seen[a]++
	}
	return out
}

func slug(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(heading) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestSlug(t *testing.T) {
	for heading, want := range map[string]string{
		"Trying the page from a phone (HTTPS on the local network)": "trying-the-page-from-a-phone-https-on-the-local-network",
		"Decoding: `face/internal/jpeg`":                            "decoding-faceinternaljpeg",
		"Measured (face)":                                           "measured-face",
		"Browser SDK and React component (npm package)":             "browser-sdk-and-react-component-npm-package",
		"Security considerations (summary of `spoof/doc.go`)":       "security-considerations-summary-of-spoofdocgo",
	} {
		assert.Equal(t, want, slug(heading), heading)
	}
	a := anchors("# A\n## A\n```\n# not a heading\n```\n### A\n")
	assert.Equal(t, map[string]bool{"a": true, "a-1": true, "a-2": true}, a)
}
