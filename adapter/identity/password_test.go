package identity

import (
	"strings"
	"testing"
)

func TestPasswordHash(t *testing.T) {
	h1, err := hashPassword("correct horse", DefaultArgon2Params)
	if err != nil {
		t.Fatal(err)
	}
	h2, err := hashPassword("correct horse", DefaultArgon2Params)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h1, "$argon2id$v=19$m=19456,t=2,p=1$") || h1 == h2 {
		t.Fatalf("hashes %q %q: want PHC strings with distinct salts", h1, h2)
	}
	cases := []struct {
		name, password, hash string
		ok                   bool
		fail                 bool
	}{
		{"right password", "correct horse", h1, true, false},
		{"other salt, same password", "correct horse", h2, true, false},
		{"wrong password", "correct horsf", h1, false, false},
		{"empty password", "", h1, false, false},
		{"not PHC", "x", "plain", false, true},
		{"wrong algorithm", "x", strings.Replace(h1, "argon2id", "argon2i", 1), false, true},
		{"bad params", "x", strings.Replace(h1, "m=19456", "m=0", 1), false, true},
		{"bad salt", "x", "$argon2id$v=19$m=64,t=1,p=1$!!$AAAA", false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ok, err := verifyPassword(c.password, c.hash)
			if (err != nil) != c.fail || ok != c.ok {
				t.Fatalf("verify = %v, %v; want ok=%v fail=%v", ok, err, c.ok, c.fail)
			}
		})
	}
}
