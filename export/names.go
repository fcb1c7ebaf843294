package export

import (
	"strconv"
	"strings"
)

// FileStem turns a layer, node or parameter name into a file name: "/"
// and every character other than letters, digits, '.', '-' and '_'
// become '_' ("/layer1/Conv" → "_layer1_Conv"; "layer1.0.conv1" is kept),
// and a leading '.' is prefixed with '_' so no stem is hidden or "..".
func FileStem(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '-', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := b.String()
	if s == "" || s[0] == '.' {
		s = "_" + s
	}
	return s
}

// CIdent turns a name into a C identifier: every character other than
// letters, digits and '_' becomes '_' ("layer1.0.conv1.weight" →
// "layer1_0_conv1_weight"), with a '_' prefix before a leading digit.
func CIdent(name string) string {
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	s := b.String()
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		s = "_" + s
	}
	return s
}

// uniqueNames hands out names, suffixing "_2", "_3", … to repeats so that
// distinct sources never share a file or identifier. fold maps a name to
// the key collisions are checked on (file systems may ignore case).
type uniqueNames struct {
	used map[string]bool
	fold func(string) string
}

func newUniqueNames(fold func(string) string) *uniqueNames {
	return &uniqueNames{used: map[string]bool{}, fold: fold}
}

func (u *uniqueNames) take(name string) string {
	cand := name
	for i := 2; u.used[u.fold(cand)]; i++ {
		cand = name + "_" + strconv.Itoa(i)
	}
	u.used[u.fold(cand)] = true
	return cand
}
