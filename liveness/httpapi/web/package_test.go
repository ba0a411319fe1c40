package web

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Languages the page ships, and the failure reasons every one explains.
var (
	languages = []string{"en", "de", "fr", "es", "pt", "hi", "zh-Hans", "ar"}
	reasons   = []string{"spoof_detected", "challenge_timeout", "unexpected_action", "expired", "cancelled", "frame_limit", "low_score"}
)

// languageBlocks splits i18n.js's messages into the keys of each language.
func languageBlocks(t *testing.T) map[string][]string {
	b, err := os.ReadFile("i18n.js")
	require.NoError(t, err)
	src := string(b)
	start := regexp.MustCompile(`(?m)^  (\w+|'[\w-]+'): \{$`)
	key := regexp.MustCompile(`(?m)^    '?([a-zA-Z0-9_.]+)'?: `)
	locs := start.FindAllStringSubmatchIndex(src, -1)
	out := map[string][]string{}
	for i, loc := range locs {
		end := strings.Index(src[loc[1]:], "\n  },") + loc[1]
		if i+1 < len(locs) && locs[i+1][0] < end {
			end = locs[i+1][0]
		}
		lang := strings.Trim(src[loc[2]:loc[3]], "'")
		for _, m := range key.FindAllStringSubmatch(src[loc[1]:end], -1) {
			out[lang] = append(out[lang], m[1])
		}
	}
	return out
}

// TestLanguagesComplete: every shipped language has every English string,
// and nothing else; Arabic is right-to-left; every reason has plain words.
func TestLanguagesComplete(t *testing.T) {
	blocks := languageBlocks(t)
	var got []string
	for l := range blocks {
		got = append(got, l)
	}
	assert.ElementsMatch(t, languages, got)
	en := blocks["en"]
	require.Greater(t, len(en), 80)
	for _, r := range reasons {
		assert.Contains(t, en, "result.reason."+r)
	}
	for _, l := range languages {
		assert.ElementsMatch(t, en, blocks[l], "language %s", l)
	}
	b, _ := os.ReadFile("i18n.js")
	assert.Contains(t, string(b), "  ar: {\n    dir: 'rtl',")
}

// TestPackage: the npm package's exports exist, are in "files", and every
// name a declaration file declares is exported by its module (and back).
func TestPackage(t *testing.T) {
	b, err := os.ReadFile("package.json")
	require.NoError(t, err)
	var pkg struct {
		Name            string                     `json:"name"`
		Exports         map[string]json.RawMessage `json:"exports"`
		Files           []string                   `json:"files"`
		DevDependencies map[string]string          `json:"devDependencies"`
		Scripts         map[string]string          `json:"scripts"`
	}
	require.NoError(t, json.Unmarshal(b, &pkg))
	assert.Equal(t, "@openliveness/web", pkg.Name)
	assert.Regexp(t, `^\d+\.\d+\.\d+$`, pkg.DevDependencies["typescript"], "typescript is pinned")
	assert.Contains(t, pkg.Scripts["check"], "tsc --noEmit")
	for sub, raw := range pkg.Exports {
		if sub == "./package.json" {
			continue
		}
		var e struct{ Types, Default string }
		require.NoError(t, json.Unmarshal(raw, &e), sub)
		for _, f := range []string{e.Types, e.Default} {
			f = strings.TrimPrefix(f, "./")
			assert.FileExists(t, f)
			assert.True(t, slices.Contains(pkg.Files, f), "%s is not in files", f)
		}
		js, err := os.ReadFile(strings.TrimPrefix(e.Default, "./"))
		require.NoError(t, err)
		dts, err := os.ReadFile(strings.TrimPrefix(e.Types, "./"))
		require.NoError(t, err)
		assert.ElementsMatch(t, exported(string(dts)), exported(string(js)), "exports of %s and its declarations", sub)
	}
}

var exportDecl = regexp.MustCompile(`(?m)^export (?:async )?(?:function|class|const|let) (\w+)|^export default (\w+)|^export \{ (\w+) as default \}`)

// exported lists the value names a module or declaration file exports.
func exported(src string) []string {
	var out []string
	for _, m := range exportDecl.FindAllStringSubmatch(src, -1) {
		switch {
		case m[1] != "":
			out = append(out, m[1])
		default:
			out = append(out, "default")
		}
	}
	return out
}
