class(Age, '>50K') :- \+ true.
