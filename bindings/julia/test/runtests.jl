# Run with the library located by TORCHEBM_LIB (or the set_library! preference):
#   TORCHEBM_LIB=$PWD/target/release/libtorchebm.so julia --project=bindings/julia -e 'using Pkg; Pkg.test()'
using Test
using Random
using TorchEBM
using TorchEBM: TorchEBMError
# The weak dependencies: loading them loads the package extensions (ext/) tested at the end.
using LogDensityProblems, AbstractMCMC, ChainRulesCore

const T = TorchEBM

# Throws `TorchEBMError` with the given status; returns the exception for further checks.
function status_of(f)
    try
        f()
    catch err
        err isa TorchEBMError || rethrow()
        return err
    end
    error("expected a TorchEBMError")
end

@testset "TorchEBM.jl" begin

@testset "library and version" begin
    @test isfile(T.library_path()) || T.library_path() == "libtorchebm"
    @test T.check_version(T.version_number())
    @test T.version() == "$(T.version_number() ÷ 1_000_000).$((T.version_number() ÷ 1000) % 1000).$(T.version_number() % 1000)"
    @test !T.check_version((T.HEADER_VERSION_MAJOR + 1) * 1_000_000)
    info = T.build_info()
    @test info.version == T.version()
    @test info.version_number == T.version_number()
    @test info.libtorch_version == T.libtorch_version()
    @test info.cuda_device_count == T.cuda_device_count()
    @test T.cuda_available() == (T.cuda_device_count() > 0)
    @test T.status_string(T.EBM_ERR_NULL_POINTER) == "null pointer"
    @test T.status_string(9999) == "unknown status"
    T.set_num_threads!(2)
    @test T.num_threads() == 2
    err = status_of(() -> T.set_num_threads!(0))
    @test err.status == T.EBM_ERR_INVALID_ARGUMENT
    @test occursin("ebm_set_num_threads", err.message)
    T.set_task_runner!(C_NULL)                   # the library's own pool (the default)
    @test T.num_threads() == 2
end

@testset "Hessian-vector products" begin
    X = [0.5 -1.0 2.0; 1.5 0.0 -0.3]             # three points of dim 2 (columns)
    V = [1.0 0.5 -2.0; -1.0 2.0 0.25]
    dw = double_well_energy(a = 1.5, b = 2.0)
    expectH = 4 * 1.5 .* (3 .* X .^ 2 .- 2.0) .* V   # H = diag(4a (3x^2 - b))
    @test hvp(dw, X, V) ≈ expectH
    @test hvp(dw, X[:, 2], V[:, 2]) ≈ expectH[:, 2]
    E, G, H = energy_gradient_hvp(dw, X, V)
    @test E ≈ energy(dw, X) && G ≈ energy_gradient(dw, X) && H ≈ expectH
    @test hvp(dw, Float32.(X), Float32.(V)) isa Matrix{Float32}
    @test hvp(dw, Float32.(X), Float32.(V)) ≈ Float32.(expectH) rtol = 1e-5
    Hbuf = zeros(2, 3)
    @test hvp!(Hbuf, dw, X, V) === Hbuf && Hbuf ≈ expectH
    g = gaussian_energy([1.0, -1.0], [2.0 0.0; 0.0 0.5])
    @test hvp(g, X, V) ≈ [0.5, 2.0] .* V             # the precision times v
    @test_throws TorchEBMError hvp(user_energy(X -> vec(sum(abs2, X; dims = 1)), 2), X, V)
end

@testset "analytic energies: closed forms" begin
    X = [0.5 -1.0 2.0; 1.5 0.0 -0.3]             # three points of dim 2 (columns)
    dw = double_well_energy(a = 1.5, b = 2.0)
    @test T.kind(dw) == "double_well"
    @test T.dim(dw) == 0
    expectE = [1.5 * sum((X[:, i] .^ 2 .- 2.0) .^ 2) for i in 1:3]
    expectG = 1.5 .* 4 .* X .* (X .^ 2 .- 2.0)
    @test energy(dw, X) ≈ expectE
    @test energy_gradient(dw, X) ≈ expectG
    E, G = energy_and_gradient(dw, X)
    @test E ≈ expectE && G ≈ expectG
    e2, g2 = energy_and_gradient(dw, X[:, 2])                # one point
    @test e2 ≈ expectE[2] && g2 ≈ expectG[:, 2]
    @test energy(dw, X[:, 2]) ≈ expectE[2]
    @test energy_gradient(dw, X[:, 3]) ≈ expectG[:, 3]
    # Float32 without conversion
    X32 = Float32.(X)
    @test energy(dw, X32) isa Vector{Float32}
    @test energy(dw, X32) ≈ Float32.(expectE) rtol = 1e-5
    @test energy_gradient(dw, X32) ≈ Float32.(expectG) rtol = 1e-5
    # in place
    Gbuf = zeros(2, 3)
    @test energy_gradient!(Gbuf, dw, X) === Gbuf && Gbuf ≈ expectG
    # empty batch
    @test energy(dw, zeros(2, 0)) == Float64[]

    h = harmonic_energy(k = 3.0)
    @test energy(h, X) ≈ [1.5 * sum(abs2, X[:, i]) for i in 1:3]
    @test energy_gradient(h, X) ≈ 3.0 .* X

    g = gaussian_energy([1.0, -1.0], [2.0 0.0; 0.0 0.5])
    @test T.dim(g) == 2
    @test energy(g, [1.0, -1.0]) ≈ 0.0 atol = 1e-12
    @test energy(g, [3.0, 0.0]) ≈ 0.5 * (4 / 2 + 1 / 0.5)
    @test energy_gradient(g, [3.0, 0.0]) ≈ [1.0, 2.0]

    hb = himmelblau_energy()
    @test energy(hb, [3.0, 2.0]) ≈ 0.0 atol = 1e-12
    @test energy(booth_energy(), [1.0, 3.0]) ≈ 0.0 atol = 1e-12
    @test energy(rosenbrock_energy(), [1.0, 1.0, 1.0]) ≈ 0.0 atol = 1e-12
    @test energy(rastrigin_energy(), zeros(3)) ≈ 0.0 atol = 1e-12
    @test energy(ackley_energy(), zeros(2)) ≈ 0.0 atol = 1e-10
    @test energy(styblinski_tang_energy(), [1.0]) ≈ 0.5 * (1 - 16 + 5)

    gm = gaussian_mixture_energy([1.0], reshape([0.0, 0.0], 2, 1), reshape([1.0 0.0; 0.0 1.0], 2, 2, 1))
    @test energy(gm, [0.0, 0.0]) ≈ log(2pi)          # -log N(0; 0, I) in 2-D

    c = composite_energy([h, dw], [2.0, 1.0])
    @test T.kind(c) == "composite"
    @test energy(c, X) ≈ 2 .* energy(h, X) .+ energy(dw, X)
    free!(h)                                          # the composite keeps its part alive
    @test energy(c, X) ≈ 2 .* [1.5 * sum(abs2, X[:, i]) for i in 1:3] .+ expectE
    @test T.device(c) == -1
end

@testset "errors and dimension checks" begin
    err = status_of(() -> gaussian_energy([0.0, 0.0], [1.0 2.0; 2.0 1.0]))
    @test err.status == T.EBM_ERR_NOT_POSITIVE_DEFINITE
    @test occursin("ebm_energy_gaussian_new", err.message)
    @test err.name == T.status_string(T.EBM_ERR_NOT_POSITIVE_DEFINITE)
    @test occursin("ebm_energy_gaussian_new", sprint(showerror, err))
    @test status_of(() -> double_well_energy(a = NaN)).status == T.EBM_ERR_NON_FINITE
    @test status_of(() -> energy(rosenbrock_energy(), [1.0])).status == T.EBM_ERR_DIMENSION_MISMATCH
    @test status_of(() -> T.set_device!(harmonic_energy(), -2)).status == T.EBM_ERR_INVALID_ARGUMENT
    @test_throws ArgumentError gaussian_energy([0.0, 0.0], ones(3, 3))
    hb = himmelblau_energy()
    @test_throws ArgumentError energy(hb, zeros(3, 4))             # dim 3 for a dim-2 energy
    @test_throws ArgumentError energy_gradient!(zeros(2, 3), hb, zeros(2, 4))
    @test_throws ArgumentError energy!(zeros(3), hb, zeros(2, 4))
    @test_throws ArgumentError composite_energy(Energy[])
    free!(hb)
    free!(hb)                                                      # idempotent
    close(hb)
    @test_throws ArgumentError energy(hb, zeros(2, 1))             # use after free
    @test_throws ArgumentError langevin_sampler(harmonic_energy(); no_such_field = 1)
end

@testset "user energies" begin
    before = T.rooted_count()
    half_sq(X) = vec(sum(abs2, X; dims = 1)) ./ 2          # a batch: the energies of the columns
    ue = user_energy(half_sq, 3)
    @test T.kind(ue) == "callback"
    @test T.dim(ue) == 3
    @test T.rooted_count() == before + 1
    X = [1.0 0.0; -2.0 1.0; 0.5 3.0]
    @test energy(ue, X) ≈ [0.5 * sum(abs2, X[:, i]) for i in 1:2]
    @test energy_gradient(ue, X) ≈ X atol = 1e-6                  # finite differences
    @test energy(ue, Float32.(X)) ≈ Float32[2.625, 5.0]
    # f is called once per batch, with all the points as one (dim, n) matrix
    batch_sizes = Int[]
    counted = user_energy(X -> (push!(batch_sizes, size(X, 2)); half_sq(X)), 3)
    energy(counted, zeros(3, 7))
    @test batch_sizes == [7]
    # the energy-and-gradient form fills E and G in place
    function quartic!(E, G, X)
        E .= vec(sum(X .^ 4; dims = 1))
        G .= 4 .* X .^ 3
        return nothing
    end
    ug = user_energy(X -> vec(sum(X .^ 4; dims = 1)), 2; energy_and_gradient = quartic!)
    @test energy_gradient(ug, [1.0 2.0; -1.0 0.5]) ≈ 4 .* [1.0 2.0; -1.0 0.5] .^ 3
    E, G = energy_and_gradient(ug, [1.0 2.0; -1.0 0.5])
    @test E ≈ [2.0, 16.0625] && G ≈ 4 .* [1.0 2.0; -1.0 0.5] .^ 3
    # a point-wise function, batched by the caller
    banana(x) = 0.5 * (x[1]^2 / 4 + (x[2] - 0.25 * x[1]^2)^2)
    pointwise = user_energy(X -> map(banana, eachcol(X)), 2)
    @test energy(pointwise, [2.0 0.0; 1.0 1.0]) ≈ [0.5, 0.5]
    # an exception in the Julia function becomes EBM_ERR_CALLBACK, not a crash
    bad = user_energy(X -> error("boom in user code"), 2)
    err = status_of(() -> energy(bad, zeros(2, 2)))
    @test err.status == T.EBM_ERR_CALLBACK
    @test occursin("boom in user code", err.message)
    short = user_energy(X -> [1.0], 2)                                 # 1 energy for 3 points
    err = status_of(() -> energy(short, zeros(2, 3)))
    @test err.status == T.EBM_ERR_CALLBACK && occursin("returned 1 values for 3 points", err.message)
    wrong = user_energy(X -> zeros(size(X, 2)), 2; energy_and_gradient = (E, G, X) -> G[3, 1])  # out of bounds
    @test status_of(() -> energy_gradient(wrong, zeros(2, 1))).status == T.EBM_ERR_CALLBACK
    # sampling a user energy: a 1-D standard normal
    s = langevin_sampler(user_energy(X -> 0.5 .* X[1, :] .^ 2, 1); step_size = 0.05, seed = 3)
    Y = T.sample(s, 1, 500; n_steps = 200)
    @test abs(sum(Y) / length(Y)) < 0.2
    # a composite holding a user energy keeps its data rooted until both are gone
    c = composite_energy([ue, harmonic_energy()])
    free!(ue)
    @test energy(c, X) ≈ 2 .* [0.5 * sum(abs2, X[:, i]) for i in 1:2]
    free!(c); free!(ug); free!(bad); free!(wrong); free!(s); free!(s.energy)
    free!(counted); free!(pointwise); free!(short)
    GC.gc(); GC.gc()
    @test T.rooted_count() == before
end

@testset "samplers" begin
    h = harmonic_energy()
    s = langevin_sampler(h; step_size = 0.01, seed = 1)
    @test T.kind(s) == "langevin"
    X = T.sample(s, 2, 4000; n_steps = 400)
    @test size(X) == (2, 4000)
    m = sum(X; dims = 2) ./ 4000
    v = sum(abs2, X .- m; dims = 2) ./ 4000
    @test all(abs.(m) .< 0.1)
    @test all(abs.(v .- 1) .< 0.15)
    st = T.stats(s)
    @test st.n_chains == 4000 && st.dim == 2 && st.steps == 400
    @test length(energy_trace(s)) == 400
    @test samples(s) == X
    # reproducible from the seed
    s2 = langevin_sampler(h; step_size = 0.01, seed = 1)
    @test T.sample(s2, 2, 4000; n_steps = 400) == X
    # Float32 chains, init!/run!/samples
    init!(s2, zeros(Float32, 2, 10))
    run!(s2, 5)
    @test samples(s2) isa Matrix{Float32}
    @test size(samples(s2)) == (2, 10)
    traj = run_trajectory!(s2, 10; thin = 5)
    @test size(traj) == (2, 10, 2)
    @test traj[:, :, 2] == samples(s2)
    @test_throws ArgumentError samples!(zeros(Float32, 2, 9), s2)
    # sample_chain with a trajectory, step!
    Xf, tr = sample_chain(s2, zeros(2, 8); n_steps = 6, thin = 2)
    @test size(Xf) == (2, 8) && size(tr) == (2, 8, 3) && tr[:, :, 3] == Xf
    Xn, none = sample_chain(s2, 2, 8; n_steps = 3)
    @test none === nothing && size(Xn) == (2, 8)
    Y = zeros(2, 5)
    step!(s2, Y)
    @test any(Y .!= 0)
    # MALA: acceptance in [0, 1]
    mala = mala_sampler(h; step_size = 0.5, seed = 2)
    T.sample(mala, 2, 100; n_steps = 50)
    r = acceptance_rates(mala)
    @test length(r) == 100 && all(0 .<= r .<= 1)
    @test 0 < T.stats(mala).mean_acceptance <= 1
    @test !any(non_finite_chains(mala))
    # Langevin has no accept/reject
    @test status_of(() -> acceptance_rates(s2)).status == T.EBM_ERR_INVALID_ARGUMENT
    # HMC with a mass, kinetic Langevin
    hmc = hmc_sampler(h; step_size = 0.1, n_leapfrog_steps = 5, mass = [1.0, 2.0], seed = 4)
    Z = T.sample(hmc, 2, 2000; n_steps = 100)
    @test all(abs.(sum(abs2, Z; dims = 2) ./ 2000 .- 1) .< 0.15)
    hmc_bad = hmc_sampler(h; mass = [1.0, 2.0, 3.0])
    @test status_of(() -> init!(hmc_bad, 2, 4)).status == T.EBM_ERR_DIMENSION_MISMATCH
    # windowed adaptation of the mass, and its getter
    wide = gaussian_energy([0.0, 0.0], [1.0 0.0; 0.0 4.0])
    ad = hmc_sampler(wide; step_size = 0.1, adapt_steps = 400, adapt_mass = :diagonal, seed = 2)
    init!(ad, 2, 200)
    run!(ad, 400)
    @test all(abs.(inverse_mass(ad) ./ [1.0, 4.0] .- 1) .< 0.2)
    dn = hmc_sampler(wide; mass = [1.0 0.0; 0.0 0.25])
    init!(dn, 2, 2)
    @test inverse_mass(dn) ≈ [1.0 0.0; 0.0 4.0]
    @test status_of(() -> hmc_sampler(wide; adapt_mass = :dense)).status == T.EBM_ERR_INVALID_ARGUMENT
    kl = kinetic_langevin_sampler(h; step_size = 0.1, seed = 5)
    K = T.sample(kl, 2, 2000; n_steps = 300)
    @test all(abs.(sum(abs2, K; dims = 2) ./ 2000 .- 1) .< 0.15)
    reseed!(kl, 7)
    # NUTS: moments, its statistics, per-chain divergences, a refused depth
    nuts = nuts_sampler(h; step_size = 0.5, max_tree_depth = 6, mass = [1.0, 1.0], seed = 6)
    N = T.sample(nuts, 2, 2000; n_steps = 30)
    @test all(abs.(sum(abs2, N; dims = 2) ./ 2000 .- 1) .< 0.15)
    ns = T.stats(nuts)
    @test ns.divergences == 0 && 1 <= ns.mean_tree_depth <= 6
    @test divergences(nuts) == zeros(Int64, 2000)
    @test !isfinite(T.stats(kl).mean_tree_depth)  # NaN: no trees
    @test status_of(() -> nuts_sampler(h; max_tree_depth = 0)).status == T.EBM_ERR_INVALID_ARGUMENT
    # temperature, state between runs, replica exchange
    hot = hmc_sampler(h; step_size = 0.3, n_leapfrog_steps = 5, temperature = 2.0, seed = 2)
    H = T.sample(hot, 2, 2000; n_steps = 100)
    @test all(abs.(sum(abs2, H; dims = 2) ./ 2000 .- 2) .< 0.3)
    @test length(energies(hot)) == 2000 && length(acceptance_trace(hot)) == 100
    P = fill(0.5, 2, 2000)
    set_momenta!(hot, P)
    @test momenta(hot) == P
    set_samples!(hot, zeros(2, 2000))
    refresh!(hot)
    @test all(energies(hot) .== 0)
    # the sizes come from the library, not a copy: a new initialisation with another number of
    # chains is seen by every getter
    init!(hot, zeros(2, 7))
    @test size(samples(hot)) == (2, 7) && length(energies(hot)) == 7 && size(momenta(hot)) == (2, 7)
    @test T.stats(hot).n_chains == 7
    pt = parallel_tempering(mala_sampler(double_well_energy(; a = 8.0, b = 1.0); step_size = 0.02);
                            temperatures = [1.0, 2.0, 4.0, 8.0])
    @test temperatures(pt) == [1.0, 2.0, 4.0, 8.0]
    T.sample(pt, 1, 100; n_steps = 50)
    @test length(swap_acceptance(pt)) == 3
    # dimension checks before the call
    hb = himmelblau_energy()
    @test_throws ArgumentError T.sample(langevin_sampler(hb), 3, 10; n_steps = 1)
    @test_throws ArgumentError run!(langevin_sampler(hb), 1)      # not initialised
    @test status_of(() -> langevin_sampler(h; step_size = -1.0)).status == T.EBM_ERR_INVALID_ARGUMENT
end

@testset "defaults come from the library" begin
    # schedule(kind) is the library's ebm_schedule_default(kind) field by field; a keyword
    # replaces its own field only.
    for (kind, code) in ((:constant, T.EBM_SCHEDULE_CONSTANT), (:exponential_decay, T.EBM_SCHEDULE_EXPONENTIAL_DECAY),
                         (:linear, T.EBM_SCHEDULE_LINEAR), (:cosine, T.EBM_SCHEDULE_COSINE))
        library = T.schedule_default(code)
        @test T.schedule(kind) === library            # immutable structs: === is field by field
        @test library.kind == code
    end
    linear = T.schedule(:linear; end_value = 0.5)
    @test linear.end_value == 0.5
    @test linear.n_steps == T.schedule_default(T.EBM_SCHEDULE_LINEAR).n_steps
    # The default params' constant schedules are the same struct, so both routes agree.
    @test T.langevin_default_params().step_size_schedule === T.schedule(:constant)
    @test T.hmc_default_params().step_size_schedule === T.schedule(:constant)
    # The bug this replaces: a decaying step size given only its decay rate used to get
    # min_value 0, which the library refuses ("min_value must be > 0, got 0").
    decay = T.schedule(:exponential_decay; decay_rate = 0.9)
    @test decay.min_value > 0
    s = mala_sampler(harmonic_energy(); step_size_schedule = decay)
    @test T.kind(s) == "mala"
    # mlp_model's unset keywords are the library's: a default model is the C default's
    # architecture (input_dim 2, float).
    p = T.mlp_default_params()
    m = mlp_model(hidden = [4])
    X = zeros(Float32, p.input_dim, 3)
    @test length(energy(m, X)) == 3
end

@testset "progress callbacks" begin
    s = langevin_sampler(harmonic_energy(); seed = 1)
    calls = Tuple{Int, Int}[]
    rooted = T.rooted_count()
    set_progress_callback!(s, (done, total, e) -> (push!(calls, (done, total)); PROGRESS_CONTINUE); interval = 5)
    @test T.rooted_count() == rooted + 1      # held for the library until it releases it
    init!(s, 2, 16)
    run!(s, 20)
    @test calls == [(5, 20), (10, 20), (15, 20), (20, 20)]
    # Cancelled at step 3 of 10: the chains hold the state reached.
    steps_before = T.stats(s).steps
    set_progress_callback!(s, (done, total, e) -> done < 3 ? PROGRESS_CONTINUE : PROGRESS_CANCEL)
    err = status_of(() -> run!(s, 10))
    @test err.status == T.EBM_ERR_CANCELLED
    @test occursin("after 3 of 10 steps", err.message)
    @test T.stats(s).steps == steps_before + 3
    @test PROGRESS_CONTINUE.code == T.EBM_PROGRESS_CONTINUE && PROGRESS_CANCEL.code == T.EBM_PROGRESS_CANCEL
    # nothing continues; a Bool is refused, not interpreted: the run stops at the first report
    # and the ArgumentError says what to return instead.
    set_progress_callback!(s, (done, total, e) -> nothing)
    run!(s, 4)
    set_progress_callback!(s, (done, total, e) -> true; interval = 2)
    steps_before = T.stats(s).steps
    bool_err = try
        run!(s, 10)
        nothing
    catch e
        e
    end
    @test bool_err isa ArgumentError
    @test occursin("PROGRESS_CONTINUE or PROGRESS_CANCEL", bool_err.msg)
    @test T.stats(s).steps == steps_before + 2
    set_progress_callback!(s, (done, total, e) -> throw(DomainError(done, "stop here")))
    @test_throws DomainError run!(s, 10)
    set_progress_callback!(s, nothing)
    @test T.rooted_count() == rooted          # each replaced callback was released
    run!(s, 10)
    @test T.stats(s).steps > 0
end

@testset "models, training, checkpoints" begin
    model = mlp_model(input_dim = 2, hidden = [16, 16], activation = :silu, seed = 0)
    @test T.kind(model) != ""
    @test T.dim(model) == 2
    @test parameter_count(model) == (2 * 16 + 16) + (16 * 16 + 16) + (16 + 1)
    θ = parameters(model)
    @test θ isa Vector{Float32} && length(θ) == parameter_count(model)
    set_parameters!(model, θ .* 0.5f0)
    @test parameters(model) ≈ θ .* 0.5f0
    set_parameters!(model, θ)
    @test_throws ArgumentError set_parameters!(model, zeros(Float32, 3))
    @test all(gradients(model) .== 0)

    data = dataset(:two_moons, 256; seed = 1)
    @test size(data) == (2, 256) && data isa Matrix{Float32}
    @test dataset(:two_moons, 256; seed = 1) == data
    @test dataset(:two_moons, 256; seed = 2) != data
    @test size(dataset(:eight_gaussians, 10; eltype = Float64)) == (2, 10)
    @test_throws ArgumentError dataset(:no_such_dataset, 10)
    @test status_of(() -> dataset(:grid, 10)).status == T.EBM_ERR_LENGTH_MISMATCH

    s = langevin_sampler(model; step_size = 0.01, seed = 0)
    loss = cd_loss(model, s; k = 5, start = :persistent, buffer_size = 1000)
    opt = adam(model; learning_rate = 1e-3)
    @test learning_rate(opt) ≈ 1e-3
    l0 = loss!(loss, data)
    @test isfinite(l0)
    @test any(gradients(model) .!= 0)
    @test size(negatives(loss)) == (2, 256)
    zero_grad!(opt)
    @test all(gradients(model) .== 0)
    losses = [train_step!(loss, opt, data) for _ in 1:20]
    @test all(isfinite, losses)
    @test optimizer_steps(opt) == 20
    @test size(samples(s)) == (2, 256)        # the sampler holds the loss's last chains
    set_learning_rate!(opt, 5e-4)
    @test learning_rate(opt) ≈ 5e-4
    @test_throws ArgumentError loss!(loss, zeros(Float32, 3, 4))
    p = T.cd_default_params()
    @test p.init_steps == 100 && p.add_noise_to_real == 0 && p.real_noise_scale == 1e-4
    @test isfinite(loss!(cd_loss(model, s; start = :persistent, buffer_size = 300, init_steps = 10,
                                 add_noise_to_real = true, real_noise_scale = 0.01), data))
    @test status_of(() -> cd_loss(model, s; init_steps = -1)).status == T.EBM_ERR_INVALID_ARGUMENT

    sm = score_matching(model; method = :sliced, n_projections = 2)
    optsgd = sgd(model; learning_rate = 1e-3, momentum = 0.9)
    @test isfinite(train_step!(sm, optsgd, data))
    @test isfinite(loss!(sm, Float64.(data)))
    @test isfinite(loss!(score_matching(harmonic_energy()), randn(2, 16)))

    dir = mktempdir()
    path = joinpath(dir, "model.safetensors")
    save_model(model, path)
    loaded = load_model(path)
    probe = randn(Float32, 2, 32)
    @test energy(loaded, probe) ≈ energy(model, probe)
    @test status_of(() -> load_model(joinpath(dir, "missing.safetensors"))).status == T.EBM_ERR_IO
    @test status_of(() -> save_model(harmonic_energy(), joinpath(dir, "h.safetensors"))).status == T.EBM_ERR_INVALID_ARGUMENT
    # The saved file is a state_dict too (layers.<i>.weight/bias); a Float64 copy computes in double.
    as_state_dict = load_state_dict(path; input_dim = 2, hidden = [16, 16], activation = :silu)
    @test energy(as_state_dict, probe) == energy(model, probe)
    @test status_of(() -> load_state_dict(path; input_dim = 2, hidden = [16])).status == T.EBM_ERR_FORMAT
    in_double = model_to_dtype(model, Float64)
    @test parameters(in_double; eltype = Float64) == Float64.(parameters(model))
    @test energy(in_double, Float64.(probe)) isa Vector{Float64}
    @test status_of(() -> model_to_dtype(harmonic_energy(), Float64)).status == T.EBM_ERR_INVALID_ARGUMENT

    ck = joinpath(dir, "run.ckpt")
    save_checkpoint(ck, model; optimizer = opt, loss = loss)
    model2 = mlp_model(input_dim = 2, hidden = [16, 16], seed = 42)
    opt2 = adam(model2; learning_rate = 1e-3)
    load_checkpoint(ck, model2; optimizer = opt2)
    @test parameters(model2) == parameters(model)
    @test optimizer_steps(opt2) == optimizer_steps(opt)

    png = joinpath(dir, "energy.png")
    render_png(png, model; data = data, samples = negatives(loss; eltype = Float64), panel_size = 64)
    @test filesize(png) > 0
    free!(loss); free!(opt); free!(sm); free!(optsgd); free!(s); free!(model)
    free!(loss)
end

@testset "all-reduces (one process)" begin
    # Over one process the sum is the buffer itself: an identity all-reduce that counts its
    # calls must leave training and statistics as they are.
    data = dataset(:circle, 64; seed = 1, eltype = Float64)
    function train(reduce)
        model = mlp_model(hidden = [8, 8], dtype = Float64, seed = 9)
        opt = adam(model)
        reduce === nothing || set_allreduce!(opt, reduce)
        sm = score_matching(model)
        losses = [train_step!(sm, opt, data) for _ in 1:3]
        θ = parameters(model)
        free!(opt); free!(sm)                 # releases the all-reduce
        return θ, losses
    end
    doubles = Bool[]                          # per call: was the buffer a Vector{Float64}?
    rooted = T.rooted_count()
    θ_alone, l_alone = train(nothing)
    θ_together, l_together = train(buf -> (push!(doubles, buf isa Vector{Float64}); nothing))
    @test length(doubles) == 6                # two all-reduce calls per step
    @test all(doubles)                        # a double model's gradients travel as doubles
    @test l_together ≈ l_alone
    @test θ_together ≈ θ_alone
    @test T.rooted_count() == rooted

    s = mala_sampler(double_well_energy(); step_size = 0.1, seed = 2, first_chain = 16)
    init!(s, 2, 16)
    run!(s, 10)
    alone = stats(s)
    set_allreduce!(s, buf -> nothing)
    @test T.rooted_count() == rooted + 1
    together = stats(s)
    @test together.n_chains == 16 && together.mean_energy == alone.mean_energy
    @test length(energy_trace(s)) == 10
    set_allreduce!(s, buf -> error("the network is down"))
    @test T.rooted_count() == rooted + 1      # the replaced one was released
    err = status_of(() -> stats(s))
    @test err.status == T.EBM_ERR_CALLBACK
    @test occursin("the network is down", err.message)
    set_allreduce!(s, nothing)
    @test T.rooted_count() == rooted
    @test stats(s).n_chains == 16
    @test T.status_string(T.EBM_ERR_REMOTE) == "failed on another process"
    free!(s)
end

@testset "diagnostics" begin
    # A (dim, n_chains, n_draws) trajectory, as run_trajectory! fills it.
    s = mala_sampler(double_well_energy(); step_size = 0.1, seed = 5)
    init!(s, 2, 4)                            # dim 2, 4 chains
    traj = run_trajectory!(s, 200)
    @test size(traj) == (2, 4, 200)
    r = rhat(traj)
    @test length(r) == 2 && all(isfinite, r) && all(r .> 0.9)
    @test all(0 .< ess_bulk(traj) .<= 10 * 800)
    @test all(0 .< ess_tail(Float32.(traj)) .<= 10 * 800)
    acf = autocorrelation(traj, 5)
    @test size(acf) == (2, 6) && acf[:, 1] ≈ [1.0, 1.0]
    shifted = Float64.(traj)                  # a copy
    shifted[1, 2, :] .+= 100                  # one chain far from the others
    @test rhat(shifted)[1] > 1.3             # rank normalisation bounds it (about 1.5)
    @test all(isnan, rhat(traj[:, 1:1, :]))   # one chain: no between-chain variance
    @test status_of(() -> rhat(traj[:, :, 1:3])).status == T.EBM_ERR_INVALID_ARGUMENT
    @test status_of(() -> autocorrelation(traj, 200)).status == T.EBM_ERR_INVALID_ARGUMENT
    bad = Float64.(traj); bad[2, 3, 7] = NaN
    err = status_of(() -> ess_bulk(bad))
    @test err.status == T.EBM_ERR_NON_FINITE && occursin("draws", err.message)
    free!(s)
end

@testset "annealed importance sampling" begin
    # The double well exp(-(x^2 - 2)^2) in 1-D: log Z by Simpson quadrature on [-8, 8].
    h = 16 / 20000
    acc = 0.0
    for i in 0:20000
        x = -8 + i * h
        acc += (i == 0 || i == 20000 ? 1 : (i % 2 == 1 ? 4 : 2)) * ℯ^(-(x^2 - 2)^2)
    end
    exact = log(acc * h / 3)
    dw = double_well_energy()
    r = ais_estimate(dw, 1000, 1; n_temperatures = 200, base_std = 1.5, step_size = 0.05, seed = 3)
    @test abs(r.log_z - exact) < 4 * r.standard_error && r.standard_error < 0.03
    @test length(r.log_weights) == 1000 && size(r.samples) == (1, 1000)
    r32 = ais_estimate(dw, 1000, 1; eltype = Float32, sampler = :hmc, schedule = :linear,
                       n_temperatures = 50, step_size = 0.05, n_leapfrog_steps = 5, base_std = 1.5, seed = 3)
    @test abs(r32.log_z - exact) < 4 * r32.standard_error && r32.samples isa Matrix{Float32}
    two = ais_estimate(dw, 2, 1; n_temperatures = 200, base_std = 1.5, step_size = 0.05, seed = 3)
    @test two.log_weights == r.log_weights[1:2]
    @test status_of(() -> ais_estimate(dw, 1, 1)).status == T.EBM_ERR_INVALID_ARGUMENT
    @test status_of(() -> ais_estimate(dw, 10, 1; n_temperatures = 0)).status == T.EBM_ERR_INVALID_ARGUMENT
    free!(dw)
end

@testset "names that do not shadow the ecosystem" begin
    @test !(:sample in names(TorchEBM)) && !(:sample! in names(TorchEBM))   # AbstractMCMC's sample
    @test !(:gradient in names(TorchEBM)) && !isdefined(TorchEBM, :gradient)  # Zygote's gradient
    @test :energy_gradient in names(TorchEBM) && :LogDensity in names(TorchEBM)
end

@testset "Julia random number generators" begin
    h = harmonic_energy()
    a = langevin_sampler(Xoshiro(7), h; step_size = 0.05)
    b = langevin_sampler(h; step_size = 0.05, seed = rand(Xoshiro(7), UInt64))
    @test T.sample(a, 2, 50; n_steps = 20) == T.sample(b, 2, 50; n_steps = 20)
    @test_throws ArgumentError mala_sampler(Xoshiro(1), h; seed = 3)        # rng and seed: which?
    @test_throws ArgumentError langevin_sampler(h; rng = Xoshiro(1))         # rng= is the stream kind
    reseed!(a, Xoshiro(9))
    reseed!(b, rand(Xoshiro(9), UInt64))
    init!(a, zeros(2, 10)); init!(b, zeros(2, 10))
    run!(a, 5); run!(b, 5)
    @test samples(a) == samples(b)
    @test T.sample(Xoshiro(3), a, 2, 10; n_steps = 5) == T.sample(Xoshiro(3), b, 2, 10; n_steps = 5)
    @test dataset(Xoshiro(5), :two_moons, 100) == dataset(:two_moons, 100; seed = rand(Xoshiro(5), UInt64))
    @test_throws ArgumentError dataset(Xoshiro(5), :two_moons, 100; seed = 1)
    m1 = mlp_model(Xoshiro(11); input_dim = 2, hidden = [8])
    m2 = mlp_model(; input_dim = 2, hidden = [8], seed = rand(Xoshiro(11), UInt64))
    @test parameters(m1) == parameters(m2)
    @test_throws ArgumentError mlp_model(Xoshiro(11); seed = 1)
    sm1 = score_matching(Xoshiro(4), m1; method = :sliced)
    sm2 = score_matching(m2; method = :sliced, seed = rand(Xoshiro(4), UInt64))
    data = dataset(:two_moons, 64; seed = 1)
    @test loss!(sm1, data) ≈ loss!(sm2, data)                   # the same random projections
    free!(sm1); free!(sm2); free!(m1); free!(m2)
    free!(a); free!(b); free!(h)
end

@testset "LogDensityProblems extension" begin
    g = gaussian_energy([1.0, -1.0], [2.0 0.0; 0.0 0.5])
    x = [3.0, 0.0]                                     # x - mean = (2, 1)
    @test LogDensityProblems.capabilities(g) == LogDensityProblems.LogDensityOrder{1}()
    @test LogDensityProblems.dimension(g) == 2          # asked of the library
    @test LogDensityProblems.logdensity(g, x) ≈ -2.0    # -(2^2 / 2 + 1^2 / 0.5) / 2
    lp, dlp = LogDensityProblems.logdensity_and_gradient(g, x)
    @test lp ≈ -2.0 && dlp ≈ [-1.0, -2.0]               # -inv(cov) (x - mean)
    @test_throws DimensionMismatch LogDensityProblems.logdensity(g, [1.0, 2.0, 3.0])
    dw = double_well_energy()                           # any dimension: LogDensity fixes one
    @test_throws ArgumentError LogDensityProblems.dimension(dw)
    ℓ = LogDensity(dw, 3)
    @test LogDensityProblems.dimension(ℓ) == 3
    @test LogDensityProblems.logdensity(ℓ, [1.0, 0.0, 0.0]) ≈ -9.0   # (1 - 2)^2 + 2 (0 - 2)^2
    lp3, dlp3 = LogDensityProblems.logdensity_and_gradient(ℓ, [1.0, 0.0, 0.0])
    @test lp3 ≈ -9.0 && dlp3 ≈ [4.0, 0.0, 0.0]           # -4 x (x^2 - 2)
    @test_throws ArgumentError LogDensity(himmelblau_energy(), 3)
    @test_throws ArgumentError LogDensity(dw)
    free!(g); free!(dw)
end

@testset "AbstractMCMC extension" begin
    g = gaussian_energy([1.0, -1.0], [1.0 0.0; 0.0 1.0])
    s = mala_sampler(g; step_size = 0.5)
    chain = sample(Xoshiro(1), g, s, 1000; n_chains = 16, progress = false)
    @test length(chain) == 1000 && size(chain[end]) == (2, 16)
    M = reduce(hcat, chain[501:end])                   # 8000 draws after 500 steps
    @test all(abs.(vec(sum(M; dims = 2)) ./ size(M, 2) .- [1.0, -1.0]) .< 0.1)
    @test sample(Xoshiro(1), g, s, 1000; n_chains = 16, progress = false) == chain   # the rng seeds it all
    one = sample(Xoshiro(2), LogDensity(g), s, 10; initial_params = [5.0, 5.0], progress = false)
    @test one[1] == [5.0, 5.0] && length(one[10]) == 2   # one chain: vectors, from initial_params
    model = AbstractMCMC.LogDensityModel(g)
    x1, st1 = AbstractMCMC.step(Xoshiro(3), model, s; n_chains = 4)
    x2, st2 = AbstractMCMC.step(Xoshiro(3), model, s, st1)
    @test size(x2) == (2, 4) && x2 != x1
    @test_throws ArgumentError AbstractMCMC.step(Xoshiro(3), model, s, st1)         # not the latest state
    @test_throws ArgumentError sample(Xoshiro(1), LogDensity(harmonic_energy(), 2), s, 10)  # another energy
    @test_throws ArgumentError sample(Xoshiro(1), g, s, MCMCThreads(), 10, 4)      # chains are one batch
    @test_throws DimensionMismatch sample(Xoshiro(1), g, s, 10; initial_params = [1.0, 2.0, 3.0])
    @test size(sample(s, 2, 100; n_steps = 10)) == (2, 100)                       # TorchEBM.sample
    free!(s); free!(g)
end

@testset "ChainRulesCore extension" begin
    dw = double_well_energy(a = 1.5, b = 2.0)
    X = [0.5 -1.0 2.0; 1.5 0.0 -0.3]
    ȳ = [1.0, -2.0, 0.5]
    y, back = ChainRulesCore.rrule(energy, dw, X)
    @test y ≈ energy(dw, X)
    t = back(ȳ)
    @test t[1] isa NoTangent && t[2] isa NoTangent
    @test t[3] ≈ energy_gradient(dw, X) .* ȳ'                       # column i times ȳ[i]
    @test t[3] ≈ 4 * 1.5 .* X .* (X .^ 2 .- 2.0) .* ȳ'
    @test back(Thunk(() -> ȳ))[3] ≈ t[3]                            # a thunk, as AD may pass
    @test back(ZeroTangent())[3] isa ZeroTangent
    x = [0.5, 1.5]
    y1, back1 = ChainRulesCore.rrule(energy, dw, x)
    @test y1 ≈ energy(dw, x) && back1(2.0)[3] ≈ 2 .* energy_gradient(dw, x)
    free!(dw)
end

end # testset
