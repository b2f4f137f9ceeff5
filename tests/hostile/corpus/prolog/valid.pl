class(Age, CapitalGain, '>50K') :- CapitalGain >= 7500, \+(Age < 21).
