// Package assistant is the Portale delle Famiglie virtual assistant: a small
// Italian knowledge base (the rules of the Libretto Famiglia and of the heir
// section from the SPEC, the seed documents on the Portale delle Famiglie and
// the simulators' parameter tables) and a BM25 ranking of its passages, with
// no external service.
//
// It is pure: it imports domain/simulators (so amounts come from the one
// parameter table) and must not import commands, projections or http.
package assistant

import (
	"maps"
	"math"
	"slices"
	"strings"
	"unicode"
)

// Link is a place to go next.
type Link struct {
	Title string `json:"title"`
	Href  string `json:"href"`
}

// Passage is one answerable piece of the knowledge base.
type Passage struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Text   string `json:"text"`
	Source string `json:"source"` // the document it comes from (law, circular, message, SPEC)
	Links  []Link `json:"links"`
}

// Match is a passage with its score for a question.
type Match struct {
	Passage
	Score float64 `json:"score"`
}

// Answer is the assistant's reply.
type Answer struct {
	Question string  `json:"question"`
	Answer   string  `json:"answer"`
	Found    bool    `json:"found"`
	Passages []Match `json:"passages"`
}

// NoAnswer is the reply when nothing in the knowledge base matches.
const NoAnswer = "Non ho trovato una risposta nelle informazioni a mia disposizione. Prova a riformulare la domanda " +
	"(per esempio citando la prestazione: Assegno Unico, bonus asilo nido, ISEE, Libretto Famiglia, eredi) " +
	"oppure contatta il Contact Center INPS."

// BM25 parameters (the usual ones) and the answer's cut-offs.
const (
	k1 = 1.2
	b  = 0.75
	// maxPassages is how many passages an answer shows at most.
	maxPassages = 3
	// relativeCut keeps passages scoring at least this share of the best.
	relativeCut = 0.5
	// minScore is the score below which nothing is considered an answer.
	minScore = 1.5
)

// Assistant answers questions from a knowledge base.
type Assistant struct {
	passages []Passage
	tf       []map[string]int // term frequencies of each passage (title counted twice)
	lens     []int            // terms of each passage
	df       map[string]int
	avgLen   float64
}

// New returns an assistant over passages; Default() is the built-in one.
func New(passages []Passage) *Assistant {
	a := &Assistant{passages: passages, df: map[string]int{}}
	total := 0
	for _, p := range passages {
		terms := Terms(p.Title + " " + p.Title + " " + p.Text)
		tf := map[string]int{}
		for _, t := range terms {
			if tf[t] == 0 {
				a.df[t]++
			}
			tf[t]++
		}
		a.tf = append(a.tf, tf)
		a.lens = append(a.lens, len(terms))
		total += len(terms)
	}
	if len(passages) > 0 {
		a.avgLen = float64(total) / float64(len(passages))
	}
	return a
}

var builtin = New(KnowledgeBase())

// Default is the assistant over the built-in knowledge base.
func Default() *Assistant { return builtin }

// Passages returns the knowledge base.
func (a *Assistant) Passages() []Passage { return slices.Clone(a.passages) }

// Ask answers question with the most relevant passages, best first.
func (a *Assistant) Ask(question string) Answer {
	ans := Answer{Question: question, Passages: []Match{}}
	q := expand(Terms(question))
	if len(q) == 0 {
		ans.Answer = NoAnswer
		return ans
	}
	terms := slices.Sorted(maps.Keys(q)) // a fixed order keeps the float sums reproducible
	n := float64(len(a.passages))
	var matches []Match
	for i, tf := range a.tf {
		var score float64
		for _, t := range terms {
			w := q[t]
			f := float64(tf[t])
			if f == 0 {
				continue
			}
			df := float64(a.df[t])
			idf := math.Log(1 + (n-df+0.5)/(df+0.5))
			score += w * idf * f * (k1 + 1) / (f + k1*(1-b+b*float64(a.lens[i])/a.avgLen))
		}
		if score > 0 {
			matches = append(matches, Match{Passage: a.passages[i], Score: math.Round(score*1000) / 1000})
		}
	}
	slices.SortStableFunc(matches, func(x, y Match) int {
		switch {
		case x.Score > y.Score:
			return -1
		case x.Score < y.Score:
			return 1
		}
		return 0
	})
	if len(matches) == 0 || matches[0].Score < minScore {
		ans.Answer = NoAnswer
		return ans
	}
	best := matches[0].Score
	for _, m := range matches {
		if len(ans.Passages) == maxPassages || m.Score < best*relativeCut {
			break
		}
		ans.Passages = append(ans.Passages, m)
	}
	ans.Found = true
	ans.Answer = ans.Passages[0].Text
	return ans
}

// synonymWords add the knowledge base's words for what people type; keys
// and values are words, stemmed at start-up.
var synonymWords = map[string]string{
	"auu":         "assegno unico",
	"bebè":        "nuovi nati",
	"neonato":     "nuovi nati",
	"babysitter":  "baby sitting assistenza",
	"badante":     "assistenza domiciliare",
	"colf":        "lavori domestici",
	"pulizie":     "lavori domestici",
	"ripetizioni": "insegnamento privato",
	"morto":       "decesso erede",
	"deceduto":    "decesso erede",
	"deceduta":    "decesso erede",
	"defunto":     "decesso erede",
	"scomparso":   "decesso erede",
	"soldi":       "importo saldo",
	"voucher":     "titolo pagamento",
	"buoni":       "titolo",
	"nido":        "asilo",
	"asilo":       "nido",
	"tetto":       "limite",
	"massimale":   "limite",
	"spid":        "accesso identità digitale",
	"accedo":      "accesso",
	"entrare":     "accesso",
	"ricarico":    "versamenti",
}

var synonyms = func() map[string][]string {
	m := map[string][]string{}
	for k, v := range synonymWords {
		for _, key := range Terms(k) {
			m[key] = append(m[key], Terms(v)...)
		}
	}
	return m
}()

// synonymWeight is how much a synonym counts against a word the person typed.
const synonymWeight = 0.5

// expand weighs the question's terms: 1 for each typed term, synonymWeight
// for each synonym of one.
func expand(q []string) map[string]float64 {
	out := map[string]float64{}
	for _, t := range q {
		out[t]++
		for _, s := range synonyms[t] {
			out[s] += synonymWeight
		}
	}
	return out
}

// stopwords are Italian function words (and a few question words) that carry
// no meaning for ranking.
var stopwords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a ad al allo ai agli all agl alla alle con col coi da dal dallo dai dagli dall dalla dalle
		di del dello dei degli dell della delle in nel nello nei negli nell nella nelle su sul sullo sui sugli sull sulla sulle
		per tra fra il lo la i gli le l un uno una un' e ed o od ma se perche perché anche come dove quando quanto quanta quanti
		quante quale quali chi che cosa cos non piu più meno mi ti ci vi si me te lui lei noi voi loro mio mia miei mie tuo tua
		suo sua suoi sue nostro nostra vostro vostra ho hai ha abbiamo avete hanno sono sei e' è siamo siete era erano essere
		avere stato stata fare fa fatto posso puo può possono devo deve devono voglio vorrei serve servono bisogna ogni tutto
		tutti tutte questo questa questi queste quello quella quelli quelle c ce ne d s sì si no gia già ancora solo poi
		mai sempre qui qua li là cui dopo prima sono quindi cioè ecc etc`) {
		m[fold(w)] = true
	}
	return m
}()

// Terms splits text into lower-case, accent-folded, stemmed terms without
// stop words.
func Terms(text string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(fold(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if stopwords[w] || len(w) < 2 {
			continue
		}
		out = append(out, stem(w))
	}
	return out
}

// suffixes are verb and noun endings stem strips, longest first.
var suffixes = []string{"iscono", "amento", "amenti", "imento", "imenti", "azione", "azioni", "mente",
	"isco", "isce", "ando", "endo", "are", "ere", "ire", "ato", "ata", "ati", "ate", "uto", "uta", "uti", "ute",
	"ito", "ita", "iti", "ite"}

// stem is a light Italian stemmer: it strips one common verb or noun ending
// (keeping at least four letters), then the final vowels of words longer
// than three letters, so that singular and plural, masculine and feminine,
// verb forms meet (figlio, figli → figl; presento, presentata → present).
func stem(w string) string {
	for _, s := range suffixes {
		if strings.HasSuffix(w, s) && len(w)-len(s) >= 4 {
			w = w[:len(w)-len(s)]
			break
		}
	}
	for len(w) > 3 && strings.ContainsRune("aeiou", rune(w[len(w)-1])) {
		w = w[:len(w)-1]
	}
	return w
}

var accents = strings.NewReplacer("à", "a", "á", "a", "è", "e", "é", "e", "ì", "i", "í", "i", "ò", "o", "ó", "o", "ù", "u", "ú", "u",
	"’", "'", "‘", "'")

func fold(s string) string { return accents.Replace(strings.ToLower(s)) }
