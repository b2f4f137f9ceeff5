class(1, '>50K').
