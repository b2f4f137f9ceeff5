class(Age, '>50K') :- Age > 1e999999999.
