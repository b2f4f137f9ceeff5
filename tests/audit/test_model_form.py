"""How the report names the model's form: a glass box trained as the mean of several members
is one glass box of one member's parameters; an MLP's members are an ensemble, counted in all."""

from __future__ import annotations

from snas import SNASClassifier


def test_a_glass_box_of_averaged_members_is_reported_as_one_glass_box(census, census_rules):
    from snas.audit._section_fields import _architecture
    from snas.audit._summary import _plain_form, _stacked

    X, y = census.X_train.head(400), census.y_train.head(400)
    glass = SNASClassifier(rules=census_rules, architecture={"max_epochs": 2}, random_state=0).fit(X, y)
    arch = _architecture(glass.model_)
    assert glass.spec_.members == 8 and arch["parameters"] == glass.n_parameters_ == glass.model_.n_parameters
    assert arch["form"].startswith("one glass box: the mean of 8 glass boxes")
    assert _plain_form(arch).startswith("A glass-box network") and "mean of 8 trained members" in _plain_form(arch)
    assert not _stacked(arch["spec"])  # its parameters are one glass box's, not "in all"
    mlp = SNASClassifier(architecture={"layers": [4], "members": 2, "max_epochs": 1}, random_state=0).fit(X, y)
    arch = _architecture(mlp.model_)
    assert arch["form"].startswith("ensemble: the logit is the mean of 2 networks") and _stacked(arch["spec"])
    assert _plain_form(arch) == "An average of 2 neural networks of one architecture"
