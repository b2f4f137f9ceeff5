class(Age, '>50K') :- Age >> 3.
