"""What the image experiments (lab.experiments.image_gan, image_vae) share: the DCGAN and the
convolutional VAE (`dcgan`, `conv_vae`), their steppable trainers (`trainer`), the run base with
logging, Fréchet scores and snapshots (`runs`), the config keys (`config`), the offline Fréchet
score (`fd`, `inception` for true FID), torchrun support (`distributed`) and the background
worker (`worker`)."""
