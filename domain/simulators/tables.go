package simulators

// This file is the only place where the yearly parameters of the simulators
// live. Every value carries its source (law, INPS circular or message). To add
// a year, add one entry to each table; nothing else changes.
//
// Abbreviations: D.Lgs. 230/2021 is the decree that instituted the Assegno
// Unico Universale (AUU); L. 197/2022 the 2023 budget law (art. 1 c. 357:
// +50% under one, +50% for 1-3 year olds in families of 3+ children, 150 €
// for 4+ children); L. 160/2019 the 2020 budget law (art. 1 c. 343: bonus
// asilo nido by ISEE band); L. 213/2023 the 2024 budget law (art. 1 c. 177:
// 3,600 € for children born from 2024); L. 207/2024 the 2025 budget law
// (art. 1). Amounts are revalued every year by the ISTAT cost of
// living index (D.Lgs. 230/2021 art. 4): +0.8% for 2025, +1.4% for 2026.

// auuTables are the Assegno Unico Universale parameters by year.
var auuTables = map[int]AUUParams{
	2025: {
		Year:            2025,
		LowerISEE:       Value{1722733, "circ. INPS 33/2025 (soglia ISEE minima, rivalutazione 0,8%)"},
		UpperISEE:       Value{4593956, "circ. INPS 33/2025 (soglia ISEE massima)"},
		MinorMax:        Value{20100, "circ. INPS 33/2025 (importo massimo per figlio minorenne; D.Lgs. 230/2021 art. 4)"},
		MinorMin:        Value{5750, "circ. INPS 33/2025 (importo minimo per figlio minorenne, anche senza ISEE)"},
		AdultMax:        Value{9770, "circ. INPS 33/2025 (figlio maggiorenne fino a 21 anni; D.Lgs. 230/2021 art. 4)"},
		AdultMin:        Value{2870, "circ. INPS 33/2025 (figlio maggiorenne fino a 21 anni, importo minimo)"},
		ThirdChildMax:   Value{9770, "circ. INPS 33/2025 (maggiorazione per ciascun figlio successivo al secondo; D.Lgs. 230/2021 art. 4)"},
		ThirdChildMin:   Value{1720, "circ. INPS 33/2025 (maggiorazione figli successivi al secondo, importo minimo)"},
		MotherUnder21:   Value{2300, "circ. INPS 33/2025 (madre di età inferiore a 21 anni, per figlio; D.Lgs. 230/2021 art. 4)"},
		TwoEarnersMax:   Value{3440, "circ. INPS 33/2025 (entrambi i genitori titolari di reddito da lavoro, per figlio minore; D.Lgs. 230/2021 art. 4; si annulla alla soglia massima)"},
		DisabilityMedia: Value{9770, "circ. INPS 33/2025 (figlio minorenne con disabilità media; D.Lgs. 230/2021 art. 4)"},
		DisabilityGrave: Value{10910, "circ. INPS 33/2025 (figlio minorenne con disabilità grave)"},
		DisabilityNonAutosufficiente: Value{12060,
			"circ. INPS 33/2025 (figlio minorenne non autosufficiente)"},
		UnderOnePercent:        Value{50, "L. 197/2022 art. 1 c. 357 (figli di età inferiore a un anno: +50% dell'importo base)"},
		ToddlerPercent:         Value{50, "L. 197/2022 art. 1 c. 357 (figli tra uno e tre anni in nuclei con tre o più figli: +50%)"},
		ToddlerMaxISEE:         Value{4000000, "L. 197/2022 art. 1 c. 357 (ISEE fino a 40.000 euro)"},
		ToddlerMinChildren:     Value{3, "L. 197/2022 art. 1 c. 357 (nuclei con tre o più figli)"},
		LargeFamily:            Value{15000, "L. 197/2022 art. 1 c. 357 (maggiorazione forfettaria per nuclei con quattro o più figli, 150 euro mensili; circ. INPS 33/2025)"},
		LargeFamilyMinChildren: Value{4, "L. 197/2022 art. 1 c. 357 (nuclei con almeno quattro figli)"},
	},
	2026: {
		Year:            2026,
		LowerISEE:       Value{1746851, "circ. INPS 7/2026 (soglia ISEE minima, rivalutazione 1,4%)"},
		UpperISEE:       Value{4658271, "circ. INPS 7/2026 (soglia ISEE massima)"},
		MinorMax:        Value{20380, "circ. INPS 7/2026 (importo massimo per figlio minorenne)"},
		MinorMin:        Value{5830, "circ. INPS 7/2026 (importo minimo per figlio minorenne, anche senza ISEE)"},
		AdultMax:        Value{9910, "circ. INPS 7/2026 (figlio maggiorenne fino a 21 anni: 97,70 € 2025 × 1,014)"},
		AdultMin:        Value{2910, "circ. INPS 7/2026 (figlio maggiorenne fino a 21 anni, minimo: 28,70 € 2025 × 1,014)"},
		ThirdChildMax:   Value{9910, "circ. INPS 7/2026 (maggiorazione figli successivi al secondo: 97,70 € 2025 × 1,014)"},
		ThirdChildMin:   Value{1740, "circ. INPS 7/2026 (maggiorazione figli successivi al secondo, minimo: 17,20 € 2025 × 1,014)"},
		MotherUnder21:   Value{2330, "circ. INPS 7/2026 (madre di età inferiore a 21 anni: 23,00 € 2025 × 1,014)"},
		TwoEarnersMax:   Value{3490, "circ. INPS 7/2026 (entrambi i genitori con reddito da lavoro: 34,40 € 2025 × 1,014)"},
		DisabilityMedia: Value{9910, "circ. INPS 7/2026 (disabilità media: 97,70 € 2025 × 1,014)"},
		DisabilityGrave: Value{11060, "circ. INPS 7/2026 (disabilità grave: 109,10 € 2025 × 1,014)"},
		DisabilityNonAutosufficiente: Value{12230,
			"circ. INPS 7/2026 (non autosufficienza: 120,60 € 2025 × 1,014)"},
		UnderOnePercent:        Value{50, "L. 197/2022 art. 1 c. 357"},
		ToddlerPercent:         Value{50, "L. 197/2022 art. 1 c. 357"},
		ToddlerMaxISEE:         Value{4000000, "L. 197/2022 art. 1 c. 357 (ISEE fino a 40.000 euro)"},
		ToddlerMinChildren:     Value{3, "L. 197/2022 art. 1 c. 357"},
		LargeFamily:            Value{15000, "L. 197/2022 art. 1 c. 357 (150 euro mensili per nucleo; circ. INPS 7/2026)"},
		LargeFamilyMinChildren: Value{4, "L. 197/2022 art. 1 c. 357"},
	},
}

// nidoTables are the bonus asilo nido parameters by year.
var nidoTables = map[int]NidoParams{
	2025: {
		Year:               2025,
		LowBandMaxISEE:     Value{2500000, "L. 160/2019 art. 1 c. 343 (ISEE fino a 25.000 euro)"},
		LowBand:            Value{300000, "L. 160/2019 art. 1 c. 343 (3.000 euro annui)"},
		MiddleBandMaxISEE:  Value{4000000, "L. 160/2019 art. 1 c. 343 (ISEE da 25.001 a 40.000 euro)"},
		MiddleBand:         Value{250000, "L. 160/2019 art. 1 c. 343 (2.500 euro annui)"},
		HighBand:           Value{150000, "L. 160/2019 art. 1 c. 343 (1.500 euro annui con ISEE oltre 40.000 euro o senza ISEE)"},
		EnhancedBornFrom:   Text{"2024-01-01", "L. 213/2023 art. 1 c. 177 (figli nati dal 1° gennaio 2024); L. 207/2024 art. 1 (dal 2025 senza il requisito di un altro figlio under 10)"},
		EnhancedMaxISEE:    Value{4000000, "L. 213/2023 art. 1 c. 177 (ISEE fino a 40.000 euro)"},
		Enhanced:           Value{360000, "L. 213/2023 art. 1 c. 177 (3.600 euro annui); circ. INPS 60/2025"},
		Instalments:        Value{11, "L. 232/2016 art. 1 c. 355 (11 mensilità)"},
		MaxAgeYearsAtStart: Value{3, "L. 232/2016 art. 1 c. 355 (bambini fino a tre anni)"},
	},
	2026: {
		Year:               2026,
		LowBandMaxISEE:     Value{2500000, "L. 160/2019 art. 1 c. 343 (ISEE fino a 25.000 euro; soglie non rivalutate)"},
		LowBand:            Value{300000, "L. 160/2019 art. 1 c. 343 (3.000 euro annui)"},
		MiddleBandMaxISEE:  Value{4000000, "L. 160/2019 art. 1 c. 343 (ISEE fino a 40.000 euro)"},
		MiddleBand:         Value{250000, "L. 160/2019 art. 1 c. 343 (2.500 euro annui)"},
		HighBand:           Value{150000, "L. 160/2019 art. 1 c. 343 (1.500 euro annui oltre 40.000 euro o senza ISEE)"},
		EnhancedBornFrom:   Text{"2024-01-01", "L. 213/2023 art. 1 c. 177; L. 207/2024 art. 1"},
		EnhancedMaxISEE:    Value{4000000, "L. 213/2023 art. 1 c. 177 (ISEE fino a 40.000 euro)"},
		Enhanced:           Value{360000, "L. 213/2023 art. 1 c. 177 (3.600 euro annui)"},
		Instalments:        Value{11, "L. 232/2016 art. 1 c. 355 (11 mensilità)"},
		MaxAgeYearsAtStart: Value{3, "L. 232/2016 art. 1 c. 355 (bambini fino a tre anni)"},
	},
}
